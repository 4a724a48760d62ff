import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core'
import { RouterLink } from '@angular/router'
import { ApiError } from '../../../core/api/api.service'
import { EmailVerification } from '../../../core/auth/email-verification.service'
import { I18n } from '../../../core/i18n/i18n.service'

type Outcome =
  { state: 'asking' } | { state: 'busy' } | { state: 'undone'; email: string } | { state: 'refused'; error: unknown } | { state: 'failed'; error: unknown }

/**
 * `/undo-email-change#token=…`, the link in the notice to the old address after an address change. It is
 * destructive (every session ends, the password stops working), so nothing happens before an explicit click.
 */
@Component({
  selector: 'sz-undo-email-change-page',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="narrow">
      <h1>{{ i18n.t('undoEmail.title') }}</h1>
      @if (!token) {
        <p role="alert" class="notice error">{{ i18n.t('verifyEmail.incomplete') }}</p>
      } @else {
        @switch (outcome().state) {
          @case ('undone') {
            <div role="status" class="notice ok">
              <p>{{ i18n.t('undoEmail.done', { email: undoneEmail() }) }}</p>
              <p>{{ i18n.t('undoEmail.signedOut') }}</p>
            </div>
            <p>{{ i18n.t('undoEmail.setPasswordHint') }}</p>
            <p><a routerLink="/password-reset">{{ i18n.t('undoEmail.setPassword') }}</a></p>
          }
          @case ('refused') {
            <p role="alert" class="notice error">{{ message() }}</p>
            <p><a routerLink="/login">{{ i18n.t('nav.login') }}</a> · <a routerLink="/password-reset">{{ i18n.t('auth.forgot') }}</a></p>
          }
          @default {
            <p>{{ i18n.t('undoEmail.explain') }}</p>
            <ul>
              <li>{{ i18n.t('undoEmail.consequenceAddress') }}</li>
              <li>{{ i18n.t('undoEmail.consequenceSessions') }}</li>
              <li>{{ i18n.t('undoEmail.consequencePassword') }}</li>
            </ul>
            @if (outcome().state === 'failed') {
              <p role="alert" class="notice error">{{ message() }}</p>
            }
            <button type="button" class="danger" [disabled]="outcome().state === 'busy'" (click)="undo()">{{ i18n.t('undoEmail.submit') }}</button>
            <p role="status" class="muted">{{ outcome().state === 'busy' ? i18n.t('undoEmail.busy') : '' }}</p>
          }
        }
      }
    </section>
  `
})
export class UndoEmailChangePage {
  protected readonly i18n = inject(I18n)
  private readonly verification = inject(EmailVerification)
  /** In the fragment, so it never reaches a server log or a Referer header. */
  protected readonly token = new URLSearchParams(location.hash.slice(1)).get('token')
  protected readonly outcome = signal<Outcome>({ state: 'asking' })

  constructor() {
    if (this.token) history.replaceState(null, '', location.pathname)
  }

  protected async undo(): Promise<void> {
    if (!this.token) return
    this.outcome.set({ state: 'busy' })
    try {
      const user = await this.verification.undoChange(this.token)
      this.outcome.set({ state: 'undone', email: user.email })
    } catch (err) {
      // A dead link or a taken address will not change by trying again; anything else might.
      const final = err instanceof ApiError && (err.status === 410 || err.code === 'SZ_EMAIL_TAKEN')
      this.outcome.set({ state: final ? 'refused' : 'failed', error: err })
    }
  }

  protected undoneEmail(): string {
    const outcome = this.outcome()
    return outcome.state === 'undone' ? outcome.email : ''
  }

  protected message(): string {
    const outcome = this.outcome()
    if (outcome.state !== 'refused' && outcome.state !== 'failed') return ''
    if (outcome.error instanceof ApiError && outcome.error.code === 'SZ_EMAIL_TAKEN') return this.i18n.t('undoEmail.taken')
    return this.i18n.error(outcome.error)
  }
}
