import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core'
import { Api } from '../../../core/api/api.service'
import type { Provider } from '../../../core/api/models'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import type { Action } from '../../../shared/action'
import { formValues } from '../../../shared/form'
import { loadable } from '../../../shared/loadable'
import { Status } from '../../../shared/status'

/** The practice's providers: who is admin or inactive; admins (de)activate others and invite new ones. */
@Component({
  selector: 'sz-practice-staff',
  imports: [Status],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section aria-labelledby="providers-heading">
      <h2 id="providers-heading">{{ i18n.t('practice.providers') }}</h2>
      <sz-status [loading]="providers.loading()" [error]="providers.error()" (retry)="providers.reload()" />
      <ul class="list">
        @for (p of providers.value() ?? []; track p.id) {
          <li>
            <span>{{ fullName(p) }} · {{ p.email }}</span>
            @if (p.isPracticeAdmin) { <span class="state">{{ i18n.t('practice.admin') }}</span> }
            @if (!p.active) { <span class="state state-cancelled">{{ i18n.t('practice.inactive') }}</span> }
            @if (admin() && p.id !== auth.user()?.id) {
              @if (p.active) { <button type="button" class="danger"
                (click)="setActive(p, false)">{{ i18n.t('practice.deactivate', { name: fullName(p) }) }}</button> }
              @else { <button type="button" (click)="setActive(p, true)">{{ i18n.t('practice.activate', { name: fullName(p) }) }}</button> }
            }
          </li>
        }
      </ul>
      @if (admin()) {
        <form class="card" (submit)="invite($event)" aria-labelledby="invite-heading">
          <h3 id="invite-heading">{{ i18n.t('practice.invite') }}</h3>
          <label>{{ i18n.t('auth.firstName') }} <input name="firstName" required maxlength="100"></label>
          <label>{{ i18n.t('auth.lastName') }} <input name="lastName" required maxlength="100"></label>
          <label>{{ i18n.t('auth.title') }} <input name="title" maxlength="50"></label>
          <label>{{ i18n.t('auth.email') }} <input name="email" type="email" required></label>
          <label class="inline"><input name="isPracticeAdmin" type="checkbox" value="true"> {{ i18n.t('practice.isAdmin') }}</label>
          @if (inviteError()) { <p role="alert" class="notice error">{{ inviteError() }}</p> }
          <button type="submit" [disabled]="action().busy()">{{ i18n.t('practice.inviteSubmit') }}</button>
        </form>
      }
    </section>
  `
})
export class PracticeStaff {
  protected readonly i18n = inject(I18n)
  protected readonly auth = inject(Auth)
  private readonly api = inject(Api)
  /** The page's: its busy state disables every form, its message and error show at the top. */
  readonly action = input.required<Action>()
  protected readonly admin = computed(() => this.auth.user()?.isPracticeAdmin ?? false)
  protected readonly providers = loadable(() => this.api.get<Provider[]>('/api/practice/providers'))
  protected readonly inviteError = signal<string | null>(null)

  protected fullName(p: Provider): string {
    return [p.title, p.firstName, p.lastName].filter(Boolean).join(' ')
  }

  protected async invite(event: Event): Promise<void> {
    const form = event.target as HTMLFormElement
    const values = formValues(event)
    this.inviteError.set(null)
    await this.action().run(async () => {
      try {
        await this.api.post('/api/practice/providers', { ...values, isPracticeAdmin: values['isPracticeAdmin'] === 'true' })
      } catch (err) {
        // Beside the form, where the admin is looking (on a phone the top of the page is out of sight).
        this.inviteError.set(this.i18n.error(err))
        throw err
      }
      form.reset()
      await this.providers.reload()
    }, this.i18n.t('practice.invited'))
    if (this.inviteError()) this.action().error.set(null)
  }

  protected setActive(p: Provider, active: boolean): Promise<unknown> {
    return this.action().run(async () => {
      await this.api.post(`/api/practice/providers/${p.id}/${active ? 'activate' : 'deactivate'}`)
      await this.providers.reload()
    }, this.i18n.t('app.saved'))
  }
}
