import { ChangeDetectionStrategy, Component, inject, input, output, signal } from '@angular/core'
import { Api } from '../../../core/api/api.service'
import type { CreatedInvitation } from '../../../core/api/models'
import { I18n } from '../../../core/i18n/i18n.service'
import { action } from '../../../shared/action'
import { formValues } from '../../../shared/form'

/** One more client for a consultation, before or during the call: the join link goes out by mail. */
@Component({
  selector: 'sz-invite-form',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="card" (submit)="invite($event)" [attr.aria-labelledby]="headingId()">
      <h2 [id]="headingId()">{{ heading() ?? i18n.t('consultation.invite') }}</h2>
      <label>{{ i18n.t('calendar.clientEmail') }} <input name="email" type="email" required></label>
      <label>{{ i18n.t('calendar.clientName') }} <input name="name" maxlength="200"></label>
      <label>{{ i18n.t('calendar.clientLanguage') }}
        <select name="locale"><option value="de" [selected]="i18n.locale() === 'de'">Deutsch</option><option value="en"
          [selected]="i18n.locale() === 'en'">English</option></select>
      </label>
      <button type="submit" [disabled]="sending.busy()">{{ i18n.t('consultation.invite') }}</button>
      @if (done(); as result) { <p role="status" class="notice ok">{{ i18n.t(result.mailHeld ? 'consultation.invitedHeld' : 'consultation.invited') }}</p> }
      @if (sending.error()) { <p role="alert" class="notice error">{{ sending.error() }}</p> }
    </form>
  `
})
export class InviteForm {
  protected readonly i18n = inject(I18n)
  private readonly api = inject(Api)
  readonly consultationId = input.required<string>()
  readonly heading = input<string | null>(null)
  readonly headingId = input('invite-heading')
  readonly invited = output<void>()
  protected readonly sending = action()
  protected readonly done = signal<CreatedInvitation | null>(null)

  protected async invite(event: Event): Promise<void> {
    const form = event.target as HTMLFormElement
    const body = formValues(event)
    this.done.set(null)
    await this.sending.run(async () => {
      const created = await this.api.post<CreatedInvitation>(`/api/consultations/${this.consultationId()}/invitations`, body)
      form.reset()
      this.done.set(created)
      this.invited.emit()
    })
  }
}
