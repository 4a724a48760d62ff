import { ChangeDetectionStrategy, Component, inject } from '@angular/core'
import { Router, RouterLink } from '@angular/router'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import { action } from '../../../shared/action'
import { formValues } from '../../../shared/form'

@Component({
  selector: 'sz-login-page',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="narrow">
      <h1>{{ i18n.t('auth.loginTitle') }}</h1>
      <form (submit)="submit($event)">
        <label>{{ i18n.t('auth.email') }} <input name="email" type="email" autocomplete="username" required></label>
        <label>{{ i18n.t('auth.password') }} <input name="password" type="password" autocomplete="current-password" required></label>
        @if (login.error()) { <p role="alert" class="notice error">{{ login.error() }}</p> }
        <button type="submit" [disabled]="login.busy()">{{ i18n.t('auth.submitLogin') }}</button>
      </form>
      <p><a routerLink="/password-reset">{{ i18n.t('auth.forgot') }}</a></p>
      <p>{{ i18n.t('auth.noAccount') }} <a routerLink="/register">{{ i18n.t('nav.register') }}</a></p>
    </section>
  `
})
export class LoginPage {
  protected readonly i18n = inject(I18n)
  private readonly auth = inject(Auth)
  private readonly router = inject(Router)
  protected readonly login = action()

  protected async submit(event: Event): Promise<void> {
    const { email = '', password = '' } = formValues(event)
    await this.login.run(async () => {
      await this.auth.login({ email, password })
      await this.router.navigateByUrl('/today')
    })
  }
}
