import { ChangeDetectionStrategy, Component, DestroyRef, type ElementRef, effect, inject, input, signal, viewChild } from '@angular/core'
import type { CallSession } from '../core/call/call-starter'
import { I18n } from '../core/i18n/i18n.service'

type Connection = 'connecting' | 'connected' | 'lost'

/** The call itself: the other side's picture and sound, the own preview, microphone and camera switches. */
@Component({
  selector: 'sz-call-media',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <p role="status" class="call-connection">{{ i18n.t(connectionKey()) }}</p>
    <div class="call-videos">
      <video #remote class="video remote-video" autoplay playsinline [attr.aria-label]="i18n.t('call.remoteVideo')"></video>
      <video #local class="video" autoplay muted playsinline [attr.aria-label]="i18n.t('call.localPreview')"></video>
    </div>
    <div class="call-controls">
      <button type="button" [attr.aria-pressed]="!microphone()" (click)="toggleMicrophone()">{{ i18n.t(microphone() ? 'call.mute' : 'call.unmute') }}</button>
      <button type="button" [attr.aria-pressed]="!camera()" (click)="toggleCamera()">{{ i18n.t(camera() ? 'call.cameraOff' : 'call.cameraOn') }}</button>
    </div>
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

  constructor () {
    const onState = (event: Event) => {
      const state = (event as CustomEvent<RTCPeerConnectionState>).detail
      this.connection.set(state === 'connected' ? 'connected' : state === 'failed' || state === 'disconnected' ? 'lost' : 'connecting')
    }
    effect(onCleanup => {
      const session = this.session()
      this.local().nativeElement.srcObject = session?.localStream ?? null
      this.remote().nativeElement.srcObject = session?.remoteStream ?? null
      session?.call?.addEventListener('state', onState)
      onCleanup(() => session?.call?.removeEventListener('state', onState))
    })
    inject(DestroyRef).onDestroy(() => this.session()?.call?.removeEventListener('state', onState))
  }

  protected connectionKey () {
    return this.connection() === 'connected' ? 'call.connected' as const : this.connection() === 'lost' ? 'call.lost' as const : 'call.connecting' as const
  }

  protected toggleMicrophone (): void {
    this.microphone.update(on => !on)
    this.session()?.call?.setMicrophone(this.microphone())
  }

  protected toggleCamera (): void {
    this.camera.update(on => !on)
    this.session()?.call?.setCamera(this.camera())
  }
}
