import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core'
import { Api } from '../../../core/api/api.service'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import { action } from '../../../shared/action'
import { formValues } from '../../../shared/form'

/** The manual and a contact form (POST /api/contact, plugins/contact). */
@Component({
  selector: 'sz-help-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ i18n.t('help.title') }}</h1>
    <section aria-labelledby="manual">
      <h2 id="manual">{{ i18n.t('help.manual') }}</h2>
      <h3>{{ i18n.t('help.scheduleTitle') }}</h3><p>{{ i18n.t('help.scheduleText') }}</p>
      <h3>{{ i18n.t('help.clientTitle') }}</h3><p>{{ i18n.t('help.clientText') }}</p>
      <h3>{{ i18n.t('help.privacyTitle') }}</h3><p>{{ i18n.t('help.privacyText') }}</p>
      <h3>{{ i18n.t('help.troubleTitle') }}</h3><p>{{ i18n.t('help.troubleText') }}</p>
    </section>
    <form class="card" (submit)="send($event)" aria-labelledby="contact">
      <h2 id="contact">{{ i18n.t('help.contact') }}</h2>
      <label>{{ i18n.t('help.name') }} <input name="name" required maxlength="200" [value]="name()"></label>
      <label>{{ i18n.t('auth.email') }} <input name="email" type="email" required [value]="auth.user()?.email ?? ''"></label>
      <label>{{ i18n.t('help.subject') }} <input name="subject" required maxlength="200"></label>
      <label>{{ i18n.t('help.message') }} <textarea name="message" required rows="5" maxlength="5000"></textarea></label>
      @if (sending.error()) { <p role="alert" class="notice error">{{ sending.error() }}</p> }
      @if (sent()) { <p role="status" class="notice ok">{{ i18n.t('help.sent') }}</p> }
      <button type="submit" [disabled]="sending.busy()">{{ i18n.t('help.send') }}</button>
    </form>
  `
})
export class HelpPage {
  protected readonly i18n = inject(I18n)
  protected readonly auth = inject(Auth)
  private readonly api = inject(Api)
  protected readonly sending = action()
  /** A flag, not the action's message: the confirmation follows the language. */
  protected readonly sent = signal(false)

  protected name(): string {
    const user = this.auth.user()
    return user ? `${user.firstName} ${user.lastName}` : ''
  }

  protected async send(event: Event): Promise<void> {
    const form = event.target as HTMLFormElement
    const values = formValues(event)
    this.sent.set(false)
    await this.sending.run(async () => {
      await this.api.post('/api/contact', values)
      this.sent.set(true)
      form.reset()
    })
  }
}
