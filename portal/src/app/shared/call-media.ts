import { ChangeDetectionStrategy, Component, DestroyRef, effect, inject, input, signal, untracked } from '@angular/core'
import type { CallQuality, ChatMessage, Peer, ReceivedDocument } from '@sprechzimmer/call-client'
import type { CallSession, RemoteFeed } from '../core/call/call-starter'
import { I18n } from '../core/i18n/i18n.service'
import { SrcObject } from './src-object'

type Connection = 'connecting' | 'connected' | 'lost'
interface Line {
  mine: boolean
  from?: Peer
  text?: string
  document?: { name: string; url: string }
}
interface Device {
  deviceId: string
  label: string
}
type Sent<T> = T & { from?: Peer }

/**
 * The call itself: everyone else's picture and sound, the own preview, microphone, camera, device and
 * screen-sharing controls, the quality reading, and the chat with documents.
 */
@Component({
  selector: 'sz-call-media',
  imports: [SrcObject],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (session()?.failure?.(); as failed) { <p role="alert" class="notice error">{{ i18n.t(failed) }}</p> }
    <p role="status" class="call-connection">{{ i18n.t(connectionKey()) }}</p>
    @if (session()?.group?.()) { <p class="muted">{{ i18n.t('call.groupEncrypted') }}</p> }
    @if (quality(); as q) {
      <p class="muted call-quality">{{ i18n.t('call.quality', { level: i18n.t(qualityKey(q.level)), path: i18n.t(q.path === 'relay' ? 'call.pathRelay' : 'call.pathDirect') }) }}</p>
    }
    <div class="call-videos">
      @for (feed of remotes(); track feed.id) {
        <figure class="remote-feed">
          <video class="video remote-video" autoplay playsinline [szSrcObject]="feed.stream"
            [attr.aria-label]="i18n.t('call.videoOf', { name: nameOf(feed) })"></video>
          <figcaption>{{ nameOf(feed) }}</figcaption>
          @if (safetyCodes()[feed.id]; as code) {
            <details class="safety-code">
              <summary>{{ i18n.t('call.safetyCode') }}</summary>
              <p>{{ i18n.t('call.safetyCodeHelp', { name: nameOf(feed) }) }}</p>
              <p class="code" [attr.aria-label]="i18n.t('call.safetyCodeOf', { name: nameOf(feed) })">{{ code }}</p>
            </details>
          }
        </figure>
      } @empty {
        <p class="muted">{{ i18n.t('call.waitingForOthers') }}</p>
      }
      <video class="video" autoplay muted playsinline [szSrcObject]="session()?.localStream?.() ?? null"
        [attr.aria-label]="i18n.t('call.localPreview')"></video>
    </div>
    <div class="call-controls">
      <button type="button" [attr.aria-pressed]="!microphone()" (click)="toggleMicrophone()">{{ i18n.t(microphone() ? 'call.mute' : 'call.unmute') }}</button>
      <button type="button" [attr.aria-pressed]="!camera()" (click)="toggleCamera()">{{ i18n.t(camera() ? 'call.cameraOff' : 'call.cameraOn') }}</button>
      @if (canShareScreen) {
        <button type="button" [attr.aria-pressed]="sharing()"
          (click)="toggleScreen()">{{ i18n.t(sharing() ? 'call.stopSharing' : 'call.shareScreen') }}</button>
      }
      @if (cameras().length > 1) {
        <label>{{ i18n.t('call.cameraDevice') }}
          <select (change)="useDevice('videoinput', $event)">@for (d of cameras(); track d.deviceId) {
            <option [value]="d.deviceId">{{ d.label }}</option> }</select>
        </label>
      }
      @if (microphones().length > 1) {
        <label>{{ i18n.t('call.microphoneDevice') }}
          <select (change)="useDevice('audioinput', $event)">@for (d of microphones(); track d.deviceId) {
            <option [value]="d.deviceId">{{ d.label }}</option> }</select>
        </label>
      }
    </div>
    @if (deviceError()) { <p role="alert" class="notice error">{{ deviceError() }}</p> }
    <section class="card" aria-labelledby="call-chat-heading">
      <h2 id="call-chat-heading">{{ i18n.t('call.chat') }}</h2>
      <p class="muted">{{ i18n.t('call.chatPrivacy') }}</p>
      <ul class="list" aria-live="polite">
        @for (line of lines(); track $index) {
          <li>
            <strong>{{ line.mine ? i18n.t('call.me') : senderName(line.from) }}:</strong>
            @if (line.document) { <a [href]="line.document.url"
              [download]="line.document.name">{{ i18n.t('call.download', { name: line.document.name }) }}</a> }
            @else { {{ line.text }} }
          </li>
        }
      </ul>
      <form (submit)="sendChat($event)">
        <label>{{ i18n.t('call.message') }} <input name="message" maxlength="1000" autocomplete="off" required></label>
        <button type="submit" [disabled]="!channelOpen()">{{ i18n.t('call.send') }}</button>
      </form>
      <label>{{ i18n.t('call.sendDocument') }} <input type="file" accept="application/pdf,image/*"
        [disabled]="!channelOpen()" (change)="sendDocument($event)"></label>
      @if (sending()) { <p role="status" class="muted">{{ i18n.t('call.sending', { percent: sending()! }) }}</p> }
    </section>
  `
})
export class CallMedia {
  protected readonly i18n = inject(I18n)
  readonly session = input<CallSession | null>(null)
  /** Names of the people in the call by id, where the page knows them (the practice's view). */
  readonly names = input<Record<string, string>>({})
  protected readonly connection = signal<Connection>('connecting')
  protected readonly microphone = signal(true)
  protected readonly camera = signal(true)
  protected readonly lines = signal<Line[]>([])
  protected readonly channelOpen = signal(false)
  protected readonly sending = signal<number | null>(null)
  protected readonly quality = signal<CallQuality | null>(null)
  protected readonly cameras = signal<Device[]>([])
  protected readonly microphones = signal<Device[]>([])
  protected readonly deviceError = signal<string | null>(null)
  /** Group calls: per person, a code both sides can compare to know no one swapped the keys between them. */
  protected readonly safetyCodes = signal<Record<string, string>>({})
  protected readonly canShareScreen = typeof navigator.mediaDevices?.getDisplayMedia === 'function'
  private readonly urls: string[] = []

  constructor() {
    const onState = (event: Event) => {
      const state = (event as CustomEvent<RTCPeerConnectionState>).detail
      this.connection.set(state === 'connected' ? 'connected' : state === 'failed' || state === 'disconnected' ? 'lost' : 'connecting')
    }
    const onChat = (event: Event) => {
      const { text, mine, from } = (event as CustomEvent<Sent<ChatMessage>>).detail
      this.lines.update(lines => [...lines, { mine, from, text }])
    }
    const onDocument = (event: Event) => {
      const document = (event as CustomEvent<Sent<ReceivedDocument>>).detail
      const url = URL.createObjectURL(document.blob)
      this.urls.push(url)
      this.lines.update(lines => [...lines, { mine: false, from: document.from, document: { name: document.name, url } }])
    }
    const onOpen = () => this.channelOpen.set(true)
    const listeners: Array<[string, (event: Event) => void]> = [
      ['state', onState],
      ['chat', onChat],
      ['document', onDocument],
      ['channel-open', onOpen]
    ]
    // The connection can change during the call (it moves into the media server): follow it.
    effect(onCleanup => {
      const connection = this.session()?.connection()
      this.connection.set('connecting')
      this.channelOpen.set(false)
      if (!connection) return
      untracked(() => {
        connection.setMicrophone(this.microphone())
        connection.setCamera(this.camera())
      })
      for (const [type, listener] of listeners) connection.addEventListener(type, listener)
      onCleanup(() => {
        for (const [type, listener] of listeners) connection.removeEventListener(type, listener)
      })
    })
    effect(() => {
      const connection = this.session()?.connection()
      if (!connection?.safetyCode) return
      for (const feed of this.remotes()) {
        void connection
          .safetyCode({ kind: feed.kind, id: feed.id })
          .then(code => {
            if (code) this.safetyCodes.update(codes => ({ ...codes, [feed.id]: code }))
          })
          .catch(() => {})
      }
    })
    // Device labels are readable once the camera is allowed, that is once the session has started.
    effect(() => {
      if (this.session()?.localStream()) void this.listDevices()
    })
    // The quality reading every few seconds, once connected.
    const timer = setInterval(() => {
      const connection = this.session()?.connection()
      if (connection && this.connection() === 'connected')
        void connection
          .quality()
          .then(q => this.quality.set(q.level === 'unknown' ? null : q))
          .catch(() => {})
    }, 2000)
    // Chat and documents exist only in this page: nothing is left once it closes.
    inject(DestroyRef).onDestroy(() => {
      clearInterval(timer)
      for (const url of this.urls) URL.revokeObjectURL(url)
    })
  }

  protected remotes(): RemoteFeed[] {
    return this.session()?.remotes() ?? []
  }

  protected nameOf(peer: { id: string; kind: string }): string {
    return this.names()[peer.id] ?? this.i18n.t(peer.kind === 'provider' ? 'call.practice' : 'call.client')
  }

  protected senderName(from: Peer | undefined): string {
    return from ? this.nameOf(from) : this.i18n.t('call.other')
  }

  private async listDevices(): Promise<void> {
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => [] as MediaDeviceInfo[])
    const of = (kind: MediaDeviceKind) =>
      devices.filter(d => d.kind === kind && d.deviceId).map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${i + 1}` }))
    this.cameras.set(of('videoinput'))
    this.microphones.set(of('audioinput'))
  }

  protected async useDevice(kind: 'videoinput' | 'audioinput', event: Event): Promise<void> {
    this.deviceError.set(null)
    try {
      await this.session()?.useDevice(kind, (event.target as HTMLSelectElement).value)
    } catch {
      this.deviceError.set(this.i18n.t('call.deviceFailed'))
    }
  }

  protected async toggleScreen(): Promise<void> {
    const session = this.session()
    if (!session) return
    this.deviceError.set(null)
    try {
      if (session.sharingScreen()) await session.stopSharing()
      else await session.shareScreen()
    } catch (err) {
      // Cancelling the browser's picker is a choice, not a failure.
      if ((err as DOMException).name !== 'NotAllowedError' && (err as DOMException).name !== 'AbortError') this.deviceError.set(this.i18n.t('call.shareFailed'))
    }
  }

  protected sharing(): boolean {
    return this.session()?.sharingScreen() ?? false
  }

  protected qualityKey(level: CallQuality['level']) {
    return level === 'good' ? ('call.qualityGood' as const) : level === 'fair' ? ('call.qualityFair' as const) : ('call.qualityPoor' as const)
  }

  protected connectionKey() {
    if (this.connection() === 'connected' && this.session()?.group()) return 'call.connectedGroup' as const
    return this.connection() === 'connected'
      ? ('call.connected' as const)
      : this.connection() === 'lost'
        ? ('call.lost' as const)
        : ('call.connecting' as const)
  }

  protected toggleMicrophone(): void {
    this.microphone.update(on => !on)
    this.session()?.connection()?.setMicrophone(this.microphone())
  }

  protected sendChat(event: Event): void {
    event.preventDefault()
    const form = event.target as HTMLFormElement
    const input = form.elements.namedItem('message') as HTMLInputElement
    const text = input.value.trim()
    const connection = this.session()?.connection()
    if (!text || !connection) return
    connection.sendChat(text)
    form.reset()
  }

  protected async sendDocument(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement
    const file = input.files?.[0]
    const call = this.session()?.connection()
    if (!file || !call) return
    const progress = (e: Event) => {
      const { sent, size } = (e as CustomEvent<{ sent: number; size: number }>).detail
      this.sending.set(Math.round((100 * sent) / size))
    }
    call.addEventListener('document-progress', progress)
    try {
      await call.sendDocument(file, file.name)
      this.lines.update(lines => [...lines, { mine: true, text: this.i18n.t('call.documentSent', { name: file.name }) }])
    } finally {
      call.removeEventListener('document-progress', progress)
      this.sending.set(null)
      input.value = ''
    }
  }

  protected toggleCamera(): void {
    this.camera.update(on => !on)
    this.session()?.connection()?.setCamera(this.camera())
  }
}
