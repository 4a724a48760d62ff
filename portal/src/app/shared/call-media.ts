import { ChangeDetectionStrategy, Component, DestroyRef, type ElementRef, effect, inject, input, signal, viewChild } from '@angular/core'
import type { CallQuality, ChatMessage, ReceivedDocument } from '@sprechzimmer/call-client'
import type { CallSession } from '../core/call/call-starter'
import { I18n } from '../core/i18n/i18n.service'

type Connection = 'connecting' | 'connected' | 'lost'
interface Line { mine: boolean, text?: string, document?: { name: string, url: string } }

/** The call itself: the other side's picture and sound, the own preview, microphone and camera switches. */
@Component({
  selector: 'sz-call-media',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <p role="status" class="call-connection">{{ i18n.t(connectionKey()) }}</p>
    @if (quality(); as q) {
      <p class="muted call-quality">{{ i18n.t('call.quality', { level: i18n.t(qualityKey(q.level)), path: i18n.t(q.path === 'relay' ? 'call.pathRelay' : 'call.pathDirect') }) }}</p>
    }
    <div class="call-videos">
      <video #remote class="video remote-video" autoplay playsinline [attr.aria-label]="i18n.t('call.remoteVideo')"></video>
      <video #local class="video" autoplay muted playsinline [attr.aria-label]="i18n.t('call.localPreview')"></video>
    </div>
    <div class="call-controls">
      <button type="button" [attr.aria-pressed]="!microphone()" (click)="toggleMicrophone()">{{ i18n.t(microphone() ? 'call.mute' : 'call.unmute') }}</button>
      <button type="button" [attr.aria-pressed]="!camera()" (click)="toggleCamera()">{{ i18n.t(camera() ? 'call.cameraOff' : 'call.cameraOn') }}</button>
    </div>
    <section class="card" aria-labelledby="call-chat-heading">
      <h2 id="call-chat-heading">{{ i18n.t('call.chat') }}</h2>
      <p class="muted">{{ i18n.t('call.chatPrivacy') }}</p>
      <ul class="list" aria-live="polite">
        @for (line of lines(); track $index) {
          <li>
            <strong>{{ i18n.t(line.mine ? 'call.me' : 'call.other') }}:</strong>
            @if (line.document) { <a [href]="line.document.url" [download]="line.document.name">{{ i18n.t('call.download', { name: line.document.name }) }}</a> }
            @else { {{ line.text }} }
          </li>
        }
      </ul>
      <form (submit)="sendChat($event)">
        <label>{{ i18n.t('call.message') }} <input name="message" maxlength="1000" autocomplete="off" required></label>
        <button type="submit" [disabled]="!channelOpen()">{{ i18n.t('call.send') }}</button>
      </form>
      <label>{{ i18n.t('call.sendDocument') }} <input type="file" accept="application/pdf,image/*" [disabled]="!channelOpen()" (change)="sendDocument($event)"></label>
      @if (sending()) { <p role="status" class="muted">{{ i18n.t('call.sending', { percent: sending()! }) }}</p> }
    </section>
  `
})
export class CallMedia {
  protected readonly i18n = inject(I18n)
  readonly session = input<CallSession | null>(null)
  private readonly remote = viewChild.required<ElementRef<HTMLVideoElement>>('remote')
  private readonly local = viewChild.required<ElementRef<HTMLVideoElement>>('local')
  protected readonly connection = signal<Connection>('connecting')
  protected readonly microphone = signal(true)
  protected readonly camera = signal(true)
  protected readonly lines = signal<Line[]>([])
  protected readonly channelOpen = signal(false)
  protected readonly sending = signal<number | null>(null)
  protected readonly quality = signal<CallQuality | null>(null)
  private readonly urls: string[] = []

  constructor () {
    const onState = (event: Event) => {
      const state = (event as CustomEvent<RTCPeerConnectionState>).detail
      this.connection.set(state === 'connected' ? 'connected' : state === 'failed' || state === 'disconnected' ? 'lost' : 'connecting')
    }
    const onChat = (event: Event) => {
      const { text, mine } = (event as CustomEvent<ChatMessage>).detail
      this.lines.update(lines => [...lines, { mine, text }])
    }
    const onDocument = (event: Event) => {
      const document = (event as CustomEvent<ReceivedDocument>).detail
      const url = URL.createObjectURL(document.blob)
      this.urls.push(url)
      this.lines.update(lines => [...lines, { mine: false, document: { name: document.name, url } }])
    }
    const onOpen = () => this.channelOpen.set(true)
    const listeners: Array<[string, (event: Event) => void]> = [['state', onState], ['chat', onChat], ['document', onDocument], ['channel-open', onOpen]]
    effect(onCleanup => {
      const session = this.session()
      this.local().nativeElement.srcObject = session?.localStream ?? null
      this.remote().nativeElement.srcObject = session?.remoteStream ?? null
      for (const [type, listener] of listeners) session?.call?.addEventListener(type, listener)
      onCleanup(() => { for (const [type, listener] of listeners) session?.call?.removeEventListener(type, listener) })
    })
    // The quality reading every few seconds, once connected.
    const timer = setInterval(() => {
      const call = this.session()?.call
      if (call && this.connection() === 'connected') void call.quality().then(q => this.quality.set(q.level === 'unknown' ? null : q)).catch(() => {})
    }, 2000)
    // Chat and documents exist only in this page: nothing is left once it closes.
    inject(DestroyRef).onDestroy(() => { clearInterval(timer); for (const url of this.urls) URL.revokeObjectURL(url) })
  }

  protected qualityKey (level: CallQuality['level']) {
    return level === 'good' ? 'call.qualityGood' as const : level === 'fair' ? 'call.qualityFair' as const : 'call.qualityPoor' as const
  }

  protected connectionKey () {
    return this.connection() === 'connected' ? 'call.connected' as const : this.connection() === 'lost' ? 'call.lost' as const : 'call.connecting' as const
  }

  protected toggleMicrophone (): void {
    this.microphone.update(on => !on)
    this.session()?.call?.setMicrophone(this.microphone())
  }

  protected sendChat (event: Event): void {
    event.preventDefault()
    const form = event.target as HTMLFormElement
    const input = form.elements.namedItem('message') as HTMLInputElement
    const text = input.value.trim()
    if (!text || !this.session()?.call) return
    this.session()!.call!.sendChat(text)
    form.reset()
  }

  protected async sendDocument (event: Event): Promise<void> {
    const input = event.target as HTMLInputElement
    const file = input.files?.[0]
    const call = this.session()?.call
    if (!file || !call) return
    const progress = (e: Event) => { const { sent, size } = (e as CustomEvent<{ sent: number, size: number }>).detail; this.sending.set(Math.round(100 * sent / size)) }
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

  protected toggleCamera (): void {
    this.camera.update(on => !on)
    this.session()?.call?.setCamera(this.camera())
  }
}
