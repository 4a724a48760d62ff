import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core'
import { Router, RouterLink } from '@angular/router'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import { action } from '../../../shared/action'
import { isValidIban, normalizeIban } from '@sprechzimmer/core/iban'
import { formValues } from '../../../shared/form'

const PERSON = ['email', 'password', 'salutation', 'title', 'firstName', 'lastName'] as const

@Component({
  selector: 'sz-register-page',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="narrow">
      <h1>{{ i18n.t('auth.registerTitle') }}</h1>
      <form (submit)="submit($event)">
        <fieldset>
          <legend>{{ i18n.t('auth.you') }}</legend>
          <label>{{ i18n.t('auth.salutation') }} <input name="salutation" autocomplete="honorific-prefix" maxlength="50"></label>
          <label>{{ i18n.t('auth.title') }} <input name="title" maxlength="50"></label>
          <label>{{ i18n.t('auth.firstName') }} <input name="firstName" autocomplete="given-name" required maxlength="100"></label>
          <label>{{ i18n.t('auth.lastName') }} <input name="lastName" autocomplete="family-name" required maxlength="100"></label>
          <label>{{ i18n.t('auth.email') }} <input name="email" type="email" autocomplete="email" required></label>
          <label>{{ i18n.t('auth.password') }} <input name="password" type="password" autocomplete="new-password" required minlength="10"
            aria-describedby="pw-hint"></label>
          <small id="pw-hint">{{ i18n.t('auth.passwordHint') }}</small>
        </fieldset>
        <fieldset>
          <legend>{{ i18n.t('auth.practice') }}</legend>
          <label>{{ i18n.t('auth.practiceName') }} <input name="name" required maxlength="200" autocomplete="organization"></label>
          <label>{{ i18n.t('auth.practiceType') }} <input name="type" required maxlength="100"></label>
          <label>{{ i18n.t('auth.street') }} <input name="street" required maxlength="200" autocomplete="address-line1"></label>
          <label>{{ i18n.t('auth.postalCode') }} <input name="postalCode" required maxlength="20" autocomplete="postal-code"></label>
          <label>{{ i18n.t('auth.city') }} <input name="city" required maxlength="100" autocomplete="address-level2"></label>
          <label>{{ i18n.t('auth.country') }} <input name="country" required pattern="[A-Za-z]{2}" value="DE" autocomplete="country"></label>
          <label>{{ i18n.t('auth.contactName') }} <input name="contactName" required maxlength="200"></label>
          <label>{{ i18n.t('auth.contactEmail') }} <input name="contactEmail" type="email" required></label>
          <label>{{ i18n.t('auth.timeZone') }} <input name="timeZone" [value]="zone" maxlength="64"></label>
        </fieldset>
        <fieldset>
          <legend>{{ i18n.t('auth.bank') }}</legend>
          <label>{{ i18n.t('auth.iban') }}
            <input name="iban" required autocomplete="off" [attr.aria-invalid]="ibanError() ? 'true' : null"
              [attr.aria-describedby]="ibanError() ? 'iban-error' : null" (blur)="checkIban($event)">
          </label>
          @if (ibanError()) { <p id="iban-error" class="field-error">{{ i18n.t('auth.ibanInvalid') }}</p> }
          <label>{{ i18n.t('auth.bic') }} <input name="bic" pattern="[A-Za-z0-9]{8}([A-Za-z0-9]{3})?"></label>
          <label>{{ i18n.t('auth.accountHolder') }} <input name="accountHolder" required maxlength="200"></label>
        </fieldset>
        @if (registration.error()) { <p role="alert" class="notice error">{{ registration.error() }}</p> }
        <button type="submit" [disabled]="registration.busy()">{{ i18n.t('auth.submitRegister') }}</button>
      </form>
      <p><a routerLink="/login">{{ i18n.t('nav.login') }}</a></p>
    </section>
  `
})
export class RegisterPage {
  protected readonly i18n = inject(I18n)
  private readonly auth = inject(Auth)
  private readonly router = inject(Router)
  protected readonly registration = action()
  protected readonly ibanError = signal(false)
  protected readonly zone = Intl.DateTimeFormat().resolvedOptions().timeZone

  protected checkIban(event: Event): void {
    const value = (event.target as HTMLInputElement).value
    this.ibanError.set(value.trim() !== '' && !isValidIban(value))
  }

  protected async submit(event: Event): Promise<void> {
    const values = formValues(event)
    if (!isValidIban(values['iban'] ?? '')) {
      this.ibanError.set(true)
      return
    }
    const person: Record<string, string> = {}
    const practice: Record<string, string> = {}
    for (const [key, value] of Object.entries(values)) {
      if ((PERSON as readonly string[]).includes(key)) person[key] = value
      else practice[key] = value
    }
    practice['iban'] = normalizeIban(practice['iban'])
    practice['country'] = practice['country'].toUpperCase()
    if (practice['bic']) practice['bic'] = practice['bic'].toUpperCase()
    await this.registration.run(async () => {
      await this.auth.register({ ...person, email: person['email'], password: person['password'], practice })
      // Signed in, but the address is unproven until the mailed link is opened: say so first.
      await this.router.navigateByUrl('/check-inbox')
    })
  }
}
