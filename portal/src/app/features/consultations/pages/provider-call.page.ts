import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, input, signal } from '@angular/core'
import { RouterLink } from '@angular/router'
import { Api } from '../../../core/api/api.service'
import type { Participant } from '../../../core/api/models'
import { CALL_STARTER, type CallSession } from '../../../core/call/call-starter'
import { I18n } from '../../../core/i18n/i18n.service'
import { Realtime } from '../../../core/realtime/realtime.service'
import { Status } from '../../../shared/status'
import { CallMedia } from '../../../shared/call-media'

/** The provider's side of a call after Admit: local preview and who is in; media plugs in via CALL_STARTER. */
@Component({
  selector: 'sz-provider-call-page',
  imports: [RouterLink, Status, CallMedia],
  providers: [Realtime],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ i18n.t('call.title') }}</h1>
    <sz-status [loading]="loading()" [error]="error()" (retry)="load()" />
    @if (ended()) {
      <p role="status" class="notice ok">{{ i18n.t('call.ended') }}</p>
    } @else if (!loading() && !error()) {
      <p role="status" class="call-state">{{ i18n.t('call.withClients', { names: names() }) }}</p>
    }
    @if (mediaFailed()) {
      <p role="alert" class="notice error">{{ i18n.t('call.failed') }}</p>
    } @else if (!ended()) {
      <sz-call-media [session]="session()" />
    }
    <p><a [routerLink]="['/consultations', id()]">{{ i18n.t('consultation.title') }}</a> · <a routerLink="/today">{{ i18n.t('nav.today') }}</a></p>
  `
})
export class ProviderCallPage {
  protected readonly i18n = inject(I18n)
  private readonly api = inject(Api)
  private readonly realtime = inject(Realtime)
  private readonly startCall = inject(CALL_STARTER)
  readonly id = input.required<string>()
  protected readonly participants = signal<Participant[]>([])
  protected readonly loading = signal(true)
  protected readonly error = signal<unknown>(null)
  protected readonly ended = signal(false)
  protected readonly names = computed(() => this.participants().filter(p => p.status === 'admitted').map(p => p.displayName ?? this.i18n.t('today.anonymous')).join(', '))
  protected readonly session = signal<CallSession | null>(null)
  protected readonly mediaFailed = signal(false)

  constructor () {
    inject(DestroyRef).onDestroy(() => this.session()?.hangUp())
    this.realtime.events.subscribe(event => {
      if (event['consultationId'] !== this.id()) return
      if (event.type === 'consultation.state' && (event['state'] === 'ended' || event['state'] === 'purged')) { this.ended.set(true); this.session()?.hangUp() }
      if (event.type.startsWith('participant.')) void this.load()
    })
    this.realtime.connect()
  }

  async ngOnInit (): Promise<void> {
    await this.load()
    try {
      this.session.set(await this.startCall({ consultationId: this.id(), role: 'provider' }))
    } catch {
      this.mediaFailed.set(true)
    }
  }

  protected async load (): Promise<void> {
    this.error.set(null)
    try {
      this.participants.set(await this.api.get<Participant[]>(`/api/consultations/${this.id()}/participants`))
    } catch (err) {
      this.error.set(err)
    } finally {
      this.loading.set(false)
    }
  }
}
