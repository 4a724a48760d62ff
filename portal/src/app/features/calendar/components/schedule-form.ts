import { ChangeDetectionStrategy, Component, inject, input, output, signal } from '@angular/core'
import { Api } from '../../../core/api/api.service'
import type { CreatedInvitation } from '../../../core/api/models'
import { I18n } from '../../../core/i18n/i18n.service'
import { action } from '../../../shared/action'
import { CopyButton } from '../../../shared/copy-button'
import { dayKey, zonedToUtc } from '../../../shared/time'

/** `mailHeld`: the provider's address is unconfirmed, so the invitation mails wait until it is. */
interface Scheduled {
  id: string
  title: string
  start: string
  invitations: CreatedInvitation[]
  mailHeld?: boolean
}

@Component({
  selector: 'sz-schedule-form',
  imports: [CopyButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form (submit)="submit($event)" class="card" aria-labelledby="schedule-heading">
      <h2 id="schedule-heading">{{ i18n.t('calendar.schedule') }}</h2>
      <label>{{ i18n.t('calendar.subject') }} <input name="title" required maxlength="200"></label>
      <div class="grid2">
        <label>{{ i18n.t('calendar.date') }} <input name="date" type="date" required [value]="today()"></label>
        <label>{{ i18n.t('calendar.time') }} <input name="time" type="time" required value="09:00"></label>
        <label>{{ i18n.t('calendar.duration') }} <input name="duration" type="number" min="5" max="480" step="5" value="30" required></label>
      </div>
      <fieldset>
        <legend>{{ i18n.t('calendar.clients') }}</legend>
        @for (row of rows(); track row; let i = $index) {
          <div class="grid2">
            <label>{{ i18n.t('calendar.clientEmail') }} <input [name]="'email' + row" type="email" required></label>
            <label>{{ i18n.t('calendar.clientName') }} <input [name]="'name' + row" maxlength="200"></label>
            <label>{{ i18n.t('calendar.clientLanguage') }}
              <select [name]="'locale' + row">
                <option value="de" [selected]="i18n.locale() === 'de'">Deutsch</option>
                <option value="en" [selected]="i18n.locale() === 'en'">English</option>
              </select>
            </label>
          </div>
          @if (rows().length > 1) { <button type="button" class="link" (click)="remove(row)">{{ i18n.t('calendar.removeClient') }} ({{ i + 1 }})</button> }
        }
        <button type="button" (click)="add()">{{ i18n.t('calendar.addClient') }}</button>
      </fieldset>
      @if (scheduling.error()) { <p role="alert" class="notice error">{{ scheduling.error() }}</p> }
      <button type="submit" [disabled]="scheduling.busy()">{{ i18n.t('calendar.submit') }}</button>
      @if (created(); as c) {
        <div role="status" class="notice ok">
          <p>{{ i18n.t(c.mailHeld ? 'calendar.scheduledHeld' : 'calendar.scheduled') }}</p>
          <ul>
            @for (inv of c.invitations; track inv.id) {
              <li><label>{{ i18n.t('consultation.joinLink', { email: inv.email }) }} <input readonly [value]="inv.joinUrl"></label>
              <sz-copy-button [text]="inv.joinUrl" [label]="i18n.t('consultation.copyLink', { email: inv.email })" /></li>
            }
          </ul>
        </div>
      }
    </form>
  `
})
export class ScheduleForm {
  protected readonly i18n = inject(I18n)
  private readonly api = inject(Api)
  readonly timeZone = input.required<string>()
  /** The day (YYYY-MM-DD, practice time zone) of the new consultation, to show it. */
  readonly scheduled = output<string>()
  protected readonly rows = signal([0])
  protected readonly scheduling = action()
  protected readonly created = signal<Scheduled | null>(null)
  private next = 1

  protected today(): string {
    return dayKey(new Date(), this.timeZone())
  }

  protected add(): void {
    this.rows.update(rows => [...rows, this.next++])
  }

  protected remove(row: number): void {
    this.rows.update(rows => rows.filter(r => r !== row))
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault()
    const form = event.target as HTMLFormElement
    const data = new FormData(form)
    const value = (name: string) => String((data.get(name) as string | null) ?? '').trim()
    const start = zonedToUtc(value('date'), value('time'), this.timeZone())
    const end = new Date(start.getTime() + Number(value('duration')) * 60_000)
    const participants = this.rows().map(row => ({
      email: value('email' + row),
      ...(value('name' + row) ? { name: value('name' + row) } : {}),
      locale: value('locale' + row) || this.i18n.locale()
    }))
    this.created.set(null)
    await this.scheduling.run(async () => {
      this.created.set(
        await this.api.post<Scheduled>('/api/consultations', { title: value('title'), start: start.toISOString(), end: end.toISOString(), participants })
      )
      form.reset()
      this.rows.set([0])
      this.scheduled.emit(dayKey(start, this.timeZone()))
    })
  }
}
