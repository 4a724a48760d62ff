import { ChangeDetectionStrategy, Component, inject } from '@angular/core'
import { RouterLink } from '@angular/router'
import { Api } from '../../../core/api/api.service'
import { I18n } from '../../../core/i18n/i18n.service'
import { action } from '../../../shared/action'
import { formValues } from '../../../shared/form'

/** `/password-reset` asks for a link; `/password-reset#token=…` (from the mail) sets the password. */
@Component({
  selector: 'sz-password-reset-page',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="narrow">
      <h1>{{ i18n.t('auth.resetTitle') }}</h1>
      @if (reset.message()) {
        <p role="status" class="notice ok">{{ reset.message() }}</p>
        <p><a routerLink="/login">{{ i18n.t('nav.login') }}</a></p>
      } @else if (token) {
        <form (submit)="confirm($event)">
          <label>{{ i18n.t('auth.newPassword') }} <input name="password" type="password" autocomplete="new-password" required minlength="10"
            aria-describedby="pw-hint"></label>
          <small id="pw-hint">{{ i18n.t('auth.passwordHint') }}</small>
          @if (reset.error()) { <p role="alert" class="notice error">{{ reset.error() }}</p> }
          <button type="submit" [disabled]="reset.busy()">{{ i18n.t('auth.resetSubmit') }}</button>
        </form>
      } @else {
        <form (submit)="request($event)">
          <label>{{ i18n.t('auth.email') }} <input name="email" type="email" autocomplete="email" required></label>
          @if (reset.error()) { <p role="alert" class="notice error">{{ reset.error() }}</p> }
          <button type="submit" [disabled]="reset.busy()">{{ i18n.t('auth.resetRequest') }}</button>
        </form>
      }
    </section>
  `
})
export class PasswordResetPage {
  protected readonly i18n = inject(I18n)
  private readonly api = inject(Api)
  /** In the fragment, so it never reaches a server log or a Referer header. */
  protected readonly token = new URLSearchParams(location.hash.slice(1)).get('token')
  /** Its message is the answer that replaces the form. */
  protected readonly reset = action()

  constructor() {
    if (this.token) history.replaceState(null, '', location.pathname)
  }

  protected request(event: Event): Promise<boolean> {
    const { email = '' } = formValues(event)
    return this.reset.run(() => this.api.post('/api/auth/password-reset', { email }), this.i18n.t('auth.resetSent'))
  }

  protected confirm(event: Event): Promise<boolean> {
    const { password = '' } = formValues(event)
    return this.reset.run(() => this.api.post('/api/auth/password-reset/confirm', { token: this.token, password }), this.i18n.t('auth.resetDone'))
  }
}
