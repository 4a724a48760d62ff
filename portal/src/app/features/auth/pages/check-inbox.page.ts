import { ChangeDetectionStrategy, Component, inject } from '@angular/core'
import { RouterLink } from '@angular/router'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import { ResendVerification } from '../../../shared/resend-verification'

/** `/check-inbox`, right after registration: the link to confirm the address is on its way; what waits until then. */
@Component({
  selector: 'sz-check-inbox-page',
  imports: [RouterLink, ResendVerification],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="narrow">
      <h1>{{ i18n.t('checkInbox.title') }}</h1>
      @if (auth.user(); as u) {
        @if (u.emailVerified) {
          <p class="notice ok">{{ i18n.t('verifyEmail.confirmed', { email: u.email }) }}</p>
        } @else {
          <p>{{ i18n.t('checkInbox.sent', { email: u.email }) }}</p>
          <p>{{ i18n.t('checkInbox.meanwhile') }}</p>
          <p class="muted">{{ i18n.t('checkInbox.noMail') }}</p>
          <div class="row"><sz-resend-verification /></div>
          <p class="muted">{{ i18n.t('checkInbox.wrongAddress') }} <a routerLink="/profile">{{ i18n.t('checkInbox.toProfile') }}</a></p>
        }
        <p><a routerLink="/today">{{ i18n.t('verifyEmail.toToday') }}</a></p>
      }
    </section>
  `
})
export class CheckInboxPage {
  protected readonly i18n = inject(I18n)
  protected readonly auth = inject(Auth)
}
