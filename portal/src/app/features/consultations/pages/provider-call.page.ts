import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, input, signal } from '@angular/core'
import { RouterLink } from '@angular/router'
import { Api } from '../../../core/api/api.service'
import type { Participant } from '../../../core/api/models'
import { CALL_STARTER, callFailure, type CallSession } from '../../../core/call/call-starter'
import { I18n } from '../../../core/i18n/i18n.service'
import { Realtime } from '../../../core/realtime/realtime.service'
import { Status } from '../../../shared/status'
import { CallMedia } from '../../../shared/call-media'
import { InviteForm } from '../components/invite-form'

/**
 * The provider's side of a call after Admit: who is in, the call itself, and as moderator: invite one
 * more person and let in whoever waits (a third person moves the call into the media server).
 */
@Component({
  selector: 'sz-provider-call-page',
  imports: [RouterLink, Status, CallMedia, InviteForm],
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
      <p role="alert" class="notice error">{{ i18n.t(mediaFailed()!) }}</p>
    } @else if (!ended()) {
      <sz-call-media [session]="session()" [names]="nameById()" />
    }
    @if (!ended() && !loading()) {
      <div class="grid2">
        <section class="card" aria-labelledby="waiting-heading">
          <h2 id="waiting-heading">{{ i18n.t('call.waiting') }}</h2>
          <ul class="list">
            @for (p of waiting(); track p.id) {
              <li>{{ p.displayName ?? i18n.t('today.anonymous') }} <button type="button" (click)="admit(p)"
                [disabled]="admitting()">{{ i18n.t('today.admit', { name: p.displayName ?? i18n.t('today.anonymous') }) }}</button></li>
            } @empty { <li class="muted">{{ i18n.t('today.nobodyWaiting') }}</li> }
          </ul>
        </section>
        <sz-invite-form [consultationId]="id()" [heading]="i18n.t('call.inviteMore')" headingId="invite-more-heading" />
      </div>
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
  protected readonly names = computed(() =>
    this.participants()
      .filter(p => p.status === 'admitted')
      .map(p => p.displayName ?? this.i18n.t('today.anonymous'))
      .join(', ')
  )
  protected readonly session = signal<CallSession | null>(null)
  protected readonly mediaFailed = signal<ReturnType<typeof callFailure> | null>(null)
  protected readonly waiting = computed(() => this.participants().filter(p => p.status === 'waiting'))
  protected readonly nameById = computed(() => Object.fromEntries(this.participants().map(p => [p.id, p.displayName ?? this.i18n.t('today.anonymous')])))
  protected readonly admitting = signal(false)

  constructor() {
    inject(DestroyRef).onDestroy(() => this.session()?.hangUp())
    this.realtime.events.subscribe(event => {
      if (event['consultationId'] !== this.id()) return
      if (event.type === 'consultation.state' && (event['state'] === 'ended' || event['state'] === 'purged')) {
        this.ended.set(true)
        this.session()?.hangUp()
      }
      if (event.type.startsWith('participant.')) void this.load()
    })
    this.realtime.connect()
  }

  async ngOnInit(): Promise<void> {
    await this.load()
    try {
      this.session.set(await this.startCall({ consultationId: this.id(), role: 'provider' }))
    } catch (err) {
      this.mediaFailed.set(callFailure(err))
    }
  }

  protected async admit(participant: Participant): Promise<void> {
    this.admitting.set(true)
    try {
      await this.api.post(`/api/consultations/${this.id()}/participants/${participant.id}/admit`)
      await this.load()
    } catch (err) {
      this.error.set(err)
    } finally {
      this.admitting.set(false)
    }
  }

  protected async load(): Promise<void> {
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
