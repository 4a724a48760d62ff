import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core'
import { RouterLink } from '@angular/router'
import { Api } from '../../../core/api/api.service'
import type { Consultation } from '../../../core/api/models'
import { I18n } from '../../../core/i18n/i18n.service'
import { practiceZone } from '../../../core/practice-zone'
import { CopyButton } from '../../../shared/copy-button'
import { InviteForm } from '../components/invite-form'
import { formValues } from '../../../shared/form'
import { loadable } from '../../../shared/loadable'
import { Status } from '../../../shared/status'
import { dayKey, timeKey, zonedToUtc } from '../../../shared/time'

/** `/consultations/:id`: the calendar feed links here. */
@Component({
  selector: 'sz-consultation-page',
  imports: [RouterLink, Status, CopyButton, InviteForm],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <p><a routerLink="/calendar">{{ i18n.t('app.back') }}</a></p>
    <sz-status [loading]="consultation.loading()" [error]="consultation.error()" (retry)="consultation.reload()" />
    @if (consultation.value(); as c) {
      <h1>{{ c.title }}</h1>
      <dl>
        <dt>{{ i18n.t('consultation.when') }}</dt>
        <dd>{{ i18n.dateTime(c.start, { dateStyle: 'full', timeStyle: 'short' }, zone()) }} – {{ i18n.time(c.end, zone()) }} ({{ zone() }})</dd>
        <dt>{{ i18n.t('consultation.state') }}</dt>
        <dd><span class="state state-{{ c.state }}">{{ i18n.state(c.state) }}</span></dd>
      </dl>
      @if (message()) { <p role="status" class="notice ok">{{ message() }}</p> }
      @if (error()) { <p role="alert" class="notice error">{{ error() }}</p> }
      @if (c.state === 'live') {
        <p><a [routerLink]="['/consultations', c.id, 'call']">{{ i18n.t('today.openCall') }}</a></p>
        <button type="button" class="danger" (click)="act('end')">{{ i18n.t('consultation.end') }}</button>
      }

      <h2>{{ i18n.t('consultation.invitations') }}</h2>
      <ul class="list">
        @for (inv of c.invitations ?? []; track inv.id) {
          <li>
            <span>{{ inv.name ? inv.name + ' · ' : '' }}{{ inv.email }}</span>
            @if (open()) { <label>{{ i18n.t('consultation.joinLink', { email: inv.email }) }} <input readonly [value]="inv.joinUrl"></label>
              <sz-copy-button [text]="inv.joinUrl" [label]="i18n.t('consultation.copyLink', { email: inv.email })" /> }
          </li>
        } @empty { <li class="muted">{{ i18n.t('practice.none') }}</li> }
      </ul>

      <form class="row" (submit)="addTask($event)">
        <label>{{ i18n.t('tasks.new') }} <input name="title" required maxlength="200"></label>
        <button type="submit" [disabled]="busy()">{{ i18n.t('tasks.add') }}</button>
      </form>

      @if (open()) {
        <div class="grid2">
          <sz-invite-form [consultationId]="c.id" (invited)="consultation.reload()" />
          <form class="card" (submit)="reschedule($event)" aria-labelledby="reschedule-heading">
            <h2 id="reschedule-heading">{{ i18n.t('consultation.reschedule') }}</h2>
            <label>{{ i18n.t('calendar.date') }} <input name="date" type="date" required [value]="dateOf(c.start)"></label>
            <label>{{ i18n.t('calendar.time') }} <input name="time" type="time" required [value]="timeOf(c.start)"></label>
            <label>{{ i18n.t('calendar.duration') }} <input name="duration" type="number" min="5" max="480" step="5" required [value]="minutes(c)"></label>
            <button type="submit" [disabled]="busy()">{{ i18n.t('consultation.reschedule') }}</button>
          </form>
        </div>
        @if (confirming()) {
          <div role="alertdialog" aria-labelledby="cancel-q" class="card">
            <p id="cancel-q">{{ i18n.t('consultation.cancelConfirm') }}</p>
            <div class="row">
              <button type="button" class="danger" (click)="act('cancel')">{{ i18n.t('consultation.cancel') }}</button>
              <button type="button" (click)="confirming.set(false)">{{ i18n.t('app.back') }}</button>
            </div>
          </div>
        } @else {
          <button type="button" class="danger" (click)="confirming.set(true)">{{ i18n.t('consultation.cancel') }}</button>
        }
      }
    }
  `
})
export class ConsultationPage {
  protected readonly i18n = inject(I18n)
  private readonly api = inject(Api)
  readonly id = input.required<string>()
  protected readonly zone = practiceZone()
  protected readonly consultation = loadable(() => this.api.get<Consultation>(`/api/consultations/${this.id()}`), false)
  protected readonly open = computed(() => ['scheduled', 'waiting'].includes(this.consultation.value()?.state ?? ''))
  protected readonly busy = signal(false)
  protected readonly confirming = signal(false)
  protected readonly message = signal<string | null>(null)
  protected readonly error = signal<string | null>(null)

  ngOnInit(): void {
    void this.consultation.reload()
  }

  protected dateOf(iso: string): string {
    return dayKey(iso, this.zone())
  }
  protected timeOf(iso: string): string {
    return timeKey(iso, this.zone())
  }
  protected minutes(c: Consultation): number {
    return Math.round((Date.parse(c.end) - Date.parse(c.start)) / 60_000)
  }

  /** A to-do of the provider's own, linked to this consultation (shown on /tasks). */
  protected addTask(event: Event): Promise<void> {
    const form = event.target as HTMLFormElement
    const { title = '' } = formValues(event)
    return this.run(async () => {
      await this.api.post('/api/tasks', { title, consultationId: this.id() })
      form.reset()
    }, 'app.saved')
  }

  protected reschedule(event: Event): Promise<void> {
    const { date = '', time = '', duration = '30' } = formValues(event)
    const start = zonedToUtc(date, time, this.zone())
    const end = new Date(start.getTime() + Number(duration) * 60_000)
    return this.run(() => this.api.patch(`/api/consultations/${this.id()}`, { start: start.toISOString(), end: end.toISOString() }), 'app.saved')
  }

  protected act(action: 'cancel' | 'end'): Promise<void> {
    this.confirming.set(false)
    return this.run(() => this.api.post(`/api/consultations/${this.id()}/${action}`), action === 'cancel' ? 'consultation.cancelled' : 'call.ended')
  }

  private async run(call: () => Promise<unknown>, success: 'app.saved' | 'consultation.cancelled' | 'call.ended'): Promise<void> {
    this.busy.set(true)
    this.error.set(null)
    this.message.set(null)
    try {
      await call()
      this.message.set(this.i18n.t(success))
      await this.consultation.reload()
    } catch (err) {
      this.error.set(this.i18n.error(err))
    } finally {
      this.busy.set(false)
    }
  }
}
