import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core'
import { Api } from '../../../core/api/api.service'
import type { User, VerificationSent } from '../../../core/api/models'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import { action } from '../../../shared/action'
import { formValues } from '../../../shared/form'
import { loadable } from '../../../shared/loadable'
import { Status } from '../../../shared/status'

interface Consent {
  id: string
  kind: 'profile_picture'
  textVersion: string
  givenAt: string
  revokedAt: string | null
}
/** Bump when the consent text (profile.pictureConsent) changes: the record names the version agreed to. */
const CONSENT_TEXT_VERSION = '2026-11-29'

@Component({
  selector: 'sz-profile-page',
  imports: [Status],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ i18n.t('profile.title') }}</h1>
    @if (action.message()) { <p role="status" class="notice ok">{{ action.message() }}</p> }
    @if (action.error()) { <p role="alert" class="notice error">{{ action.error() }}</p> }
    @if (auth.user(); as u) {
      <div class="grid2">
        <form class="card" (submit)="saveNames($event)" aria-labelledby="names-heading">
          <h2 id="names-heading">{{ i18n.t('profile.names') }}</h2>
          <label>{{ i18n.t('auth.salutation') }} <input name="salutation" maxlength="50" [value]="u.salutation ?? ''"></label>
          <label>{{ i18n.t('auth.title') }} <input name="title" maxlength="50" [value]="u.title ?? ''"></label>
          <label>{{ i18n.t('auth.firstName') }} <input name="firstName" required maxlength="100" [value]="u.firstName"></label>
          <label>{{ i18n.t('auth.lastName') }} <input name="lastName" required maxlength="100" [value]="u.lastName"></label>
          <label>{{ i18n.t('profile.language') }}
            <select name="locale"><option value="de" [selected]="i18n.locale() === 'de'">Deutsch</option><option value="en"
              [selected]="i18n.locale() === 'en'">English</option></select>
          </label>
          <button type="submit" [disabled]="action.busy()">{{ i18n.t('app.save') }}</button>
        </form>
        <form class="card" (submit)="changeEmail($event)" aria-labelledby="email-heading">
          <h2 id="email-heading">{{ i18n.t('profile.email') }}</h2>
          <label>{{ i18n.t('auth.email') }} <input name="email" type="email" autocomplete="email" required [value]="u.email"
            [attr.aria-describedby]="u.pendingEmail ? 'email-pending' : null"></label>
          @if (u.pendingEmail) { <p id="email-pending" class="muted">{{ i18n.t('profile.emailPending', { email: u.pendingEmail }) }}</p> }
          <label>{{ i18n.t('profile.currentPassword') }} <input name="password" type="password" autocomplete="current-password" required></label>
          <button type="submit" [disabled]="action.busy()">{{ i18n.t('profile.changeEmail') }}</button>
        </form>
        <form class="card" (submit)="changePassword($event)" aria-labelledby="password-heading">
          <h2 id="password-heading">{{ i18n.t('profile.password') }}</h2>
          <label>{{ i18n.t('profile.currentPassword') }} <input name="currentPassword" type="password" autocomplete="current-password" required></label>
          <label>{{ i18n.t('auth.newPassword') }} <input name="newPassword" type="password" autocomplete="new-password" minlength="10" required></label>
          <button type="submit" [disabled]="action.busy()">{{ i18n.t('profile.changePassword') }}</button>
        </form>
        <section class="card" aria-labelledby="picture-heading">
          <h2 id="picture-heading">{{ i18n.t('profile.picture') }}</h2>
          <sz-status [loading]="consents.loading()" [error]="consents.error()" (retry)="consents.reload()" />
          @if (consents.value()) {
            @if (consented()) {
              @if (pictureVersion() > 0) { <img [src]="'/api/me/picture?v=' + pictureVersion()" [alt]="i18n.t('profile.pictureAlt')" width="160"
                (error)="pictureVersion.set(0)"> }
              @else { <p class="muted">{{ i18n.t('profile.noPicture') }}</p> }
              <label>{{ i18n.t('profile.uploadPicture') }} <input type="file" accept="image/jpeg,image/png,image/webp" (change)="upload($event)"></label>
              <button type="button" class="danger" (click)="revoke()">{{ i18n.t('profile.revokeConsent') }}</button>
            } @else {
              <p>{{ i18n.t('profile.pictureConsent') }}</p>
              <button type="button" (click)="consent()">{{ i18n.t('profile.giveConsent') }}</button>
            }
          }
        </section>
      </div>
    }
  `
})
export class ProfilePage {
  protected readonly i18n = inject(I18n)
  protected readonly auth = inject(Auth)
  private readonly api = inject(Api)
  protected readonly consents = loadable(() => this.api.get<Consent[]>('/api/me/consents'))
  protected readonly consented = computed(() => (this.consents.value() ?? []).some(c => c.kind === 'profile_picture' && c.revokedAt === null))
  /** Bumped after an upload so the <img> asks again; 0 hides it. */
  protected readonly pictureVersion = signal(1)
  /** Shared by the forms: one busy state, one message and one error, shown at the top. */
  protected readonly action = action()

  protected saveNames(event: Event): Promise<boolean> {
    const values = formValues(event)
    return this.action.run(async () => {
      const result = await this.api.patch<{ user: User }>('/api/me', {
        salutation: values['salutation'] ?? '',
        title: values['title'] ?? '',
        firstName: values['firstName'],
        lastName: values['lastName'],
        locale: values['locale']
      })
      this.auth.user.set(result.user)
    }, this.i18n.t('app.saved'))
  }

  protected changeEmail(event: Event): Promise<boolean> {
    const form = event.target as HTMLFormElement
    const { email = '', password = '' } = formValues(event)
    let success = this.i18n.t('app.saved')
    return this.action.run(
      async () => {
        const result = await this.api.post<{ user: User } | VerificationSent>('/api/me/email', { email, password })
        ;(form.elements.namedItem('password') as HTMLInputElement).value = ''
        if ('user' in result) {
          // The current address again: nothing to confirm, and a change already waiting stays as it was.
          this.auth.user.update(before => ({ ...result.user, pendingEmail: before?.pendingEmail ?? null }))
          return
        }
        // Nothing changes until the link mailed to the new address is opened: the field keeps showing the
        // address in use, and GET /api/me tells which one waits.
        success = this.i18n.t('profile.emailLinkSent')
        ;(form.elements.namedItem('email') as HTMLInputElement).value = this.auth.user()?.email ?? ''
        await this.auth.refresh()
      },
      () => success
    )
  }

  protected changePassword(event: Event): Promise<boolean> {
    const form = event.target as HTMLFormElement
    const { currentPassword = '', newPassword = '' } = formValues(event)
    return this.action.run(async () => {
      await this.api.post('/api/me/password', { currentPassword, newPassword })
      form.reset()
    }, this.i18n.t('profile.passwordChanged'))
  }

  protected consent(): Promise<boolean> {
    return this.action.run(async () => {
      await this.api.post('/api/me/consents', { kind: 'profile_picture', textVersion: CONSENT_TEXT_VERSION })
      await this.consents.reload()
    }, this.i18n.t('app.saved'))
  }

  protected revoke(): Promise<boolean> {
    return this.action.run(async () => {
      await this.api.delete('/api/me/consents/profile_picture')
      this.pictureVersion.set(0)
      await this.consents.reload()
    }, this.i18n.t('app.saved'))
  }

  protected upload(event: Event): Promise<unknown> {
    const file = (event.target as HTMLInputElement).files?.[0]
    if (!file) return Promise.resolve()
    return this.action.run(async () => {
      await this.api.put('/api/me/picture', file, file.type)
      this.pictureVersion.update(v => v + 1)
    }, this.i18n.t('app.saved'))
  }
}
