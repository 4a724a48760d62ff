import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core'
import { ApiError } from '../core/api/api.service'
import { Auth } from '../core/auth/auth.service'
import { EmailVerification } from '../core/auth/email-verification.service'
import { I18n } from '../core/i18n/i18n.service'

/** "Send the link again" for a signed-in user whose address is unconfirmed, with the server's answer beside it. */
@Component({
  selector: 'sz-resend-verification',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button type="button" [disabled]="busy()" (click)="resend()">{{ i18n.t('verify.resend') }}</button>
    <span role="status" class="resend-status">{{ sent() }}</span>
    @if (error()) { <span role="alert" class="field-error">{{ error() }}</span> }
  `
})
export class ResendVerification {
  protected readonly i18n = inject(I18n)
  private readonly auth = inject(Auth)
  private readonly verification = inject(EmailVerification)
  protected readonly busy = signal(false)
  protected readonly sent = signal('')
  protected readonly error = signal<string | null>(null)

  protected async resend(): Promise<void> {
    this.busy.set(true)
    this.sent.set('')
    this.error.set(null)
    try {
      await this.verification.resend()
      this.sent.set(this.i18n.t('verify.resent', { email: this.auth.user()?.email ?? '' }))
    } catch (err) {
      if (err instanceof ApiError && err.code === 'SZ_EMAIL_ALREADY_VERIFIED') {
        // Confirmed in another tab or on another device: say so, and let the page catch up.
        this.sent.set(this.i18n.t('error.SZ_EMAIL_ALREADY_VERIFIED'))
        await this.auth.refresh().catch(() => null)
      } else if (err instanceof ApiError && err.code === 'SZ_RATE_LIMITED') {
        this.error.set(this.i18n.t('verify.resendLimited'))
      } else {
        this.error.set(this.i18n.error(err))
      }
    } finally {
      this.busy.set(false)
    }
  }
}
