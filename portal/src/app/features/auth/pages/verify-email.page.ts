import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core'
import { RouterLink } from '@angular/router'
import { ApiError } from '../../../core/api/api.service'
import type { User } from '../../../core/api/models'
import { Auth } from '../../../core/auth/auth.service'
import { EmailVerification } from '../../../core/auth/email-verification.service'
import { I18n } from '../../../core/i18n/i18n.service'
import { ResendVerification } from '../../../shared/resend-verification'

type Outcome =
  | { state: 'loading' }
  | { state: 'confirmed'; email: string }
  | { state: 'dead'; error: ApiError }
  | { state: 'taken' }
  | { state: 'failed'; error: unknown }
  | { state: 'incomplete' }

/** `/verify-email#token=…`, the link mailed after registration or an address change: confirms the address. */
@Component({
  selector: 'sz-verify-email-page',
  imports: [RouterLink, ResendVerification],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="narrow">
      <h1>{{ i18n.t('verifyEmail.title') }}</h1>
      @switch (outcome().state) {
        @case ('loading') {
          <p role="status" class="muted">{{ i18n.t('verifyEmail.checking') }}</p>
        }
        @case ('confirmed') {
          <p role="status" class="notice ok">{{ i18n.t('verifyEmail.confirmed', { email: confirmedEmail() }) }}</p>
          @if (user()) { <p><a routerLink="/today">{{ i18n.t('verifyEmail.toToday') }}</a></p> }
          @else { <p><a routerLink="/login">{{ i18n.t('nav.login') }}</a></p> }
        }
        @case ('dead') {
          <p role="alert" class="notice error">{{ deadText() }}</p>
          @if (user(); as u) {
            @if (u.emailVerified) {
              <p>{{ i18n.t('verifyEmail.verifiedHint', { email: u.email }) }}</p>
              <p><a routerLink="/today">{{ i18n.t('verifyEmail.toToday') }}</a></p>
            } @else {
              <p>{{ i18n.t('verifyEmail.resendHint', { email: u.email }) }}</p>
              <div class="row"><sz-resend-verification /></div>
            }
          } @else {
            <p>{{ i18n.t('verifyEmail.loginHint') }}</p>
            <p><a routerLink="/login">{{ i18n.t('nav.login') }}</a></p>
          }
        }
        @case ('taken') {
          <p role="alert" class="notice error">{{ i18n.t('verifyEmail.taken') }}</p>
          <p><a [routerLink]="user() ? '/profile' : '/login'">{{ i18n.t(user() ? 'verifyEmail.toProfile' : 'nav.login') }}</a></p>
        }
        @case ('failed') {
          <div role="alert" class="notice error">
            <p>{{ failedText() }}</p>
            <button type="button" (click)="confirm()">{{ i18n.t('app.retry') }}</button>
          </div>
        }
        @case ('incomplete') {
          <p role="alert" class="notice error">{{ i18n.t('verifyEmail.incomplete') }}</p>
        }
      }
    </section>
  `
})
export class VerifyEmailPage {
  protected readonly i18n = inject(I18n)
  private readonly auth = inject(Auth)
  private readonly verification = inject(EmailVerification)
  /** In the fragment, so it never reaches a server log or a Referer header. */
  private readonly token = new URLSearchParams(location.hash.slice(1)).get('token')
  protected readonly outcome = signal<Outcome>({ state: 'loading' })
  /** The signed-in user after the link was opened, if anyone is signed in in this browser. */
  protected readonly user = this.auth.user

  constructor() {
    if (this.token) history.replaceState(null, '', location.pathname)
    void this.confirm()
  }

  protected async confirm(): Promise<void> {
    if (!this.token) {
      this.outcome.set({ state: 'incomplete' })
      return
    }
    this.outcome.set({ state: 'loading' })
    // Whether someone is signed in decides where the page leads afterwards; not knowing is no reason to stop.
    await this.auth.load().catch(() => null)
    try {
      const confirmed: User = await this.verification.confirm(this.token)
      this.outcome.set({ state: 'confirmed', email: confirmed.email })
    } catch (err) {
      if (err instanceof ApiError && err.status === 410) this.outcome.set({ state: 'dead', error: err })
      else if (err instanceof ApiError && err.code === 'SZ_EMAIL_TAKEN') this.outcome.set({ state: 'taken' })
      else this.outcome.set({ state: 'failed', error: err })
    }
  }

  protected confirmedEmail(): string {
    const outcome = this.outcome()
    return outcome.state === 'confirmed' ? outcome.email : ''
  }

  protected deadText(): string {
    const outcome = this.outcome()
    return outcome.state === 'dead' ? this.i18n.error(outcome.error) : ''
  }

  protected failedText(): string {
    const outcome = this.outcome()
    return outcome.state === 'failed' ? this.i18n.error(outcome.error) : ''
  }
}
