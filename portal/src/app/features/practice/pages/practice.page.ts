import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core'
import { Api, ApiError } from '../../../core/api/api.service'
import type { Practice, Provider } from '../../../core/api/models'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import { CopyButton } from '../../../shared/copy-button'
import { formValues, isValidIban } from '../../../shared/form'
import { loadable } from '../../../shared/loadable'
import { Status } from '../../../shared/status'

interface ApiKey { id: string, name: string, prefix: string }
interface Source { id: string, url: string | null, lastSyncAt: string | null, lastError: string | null }
const PRACTICE_FIELDS = ['name', 'type', 'street', 'postalCode', 'city', 'country', 'contactName', 'contactEmail', 'iban', 'bic', 'accountHolder', 'timeZone'] as const
type Field = typeof PRACTICE_FIELDS[number]

/** Practice data, its providers, the calendar feed and sources, and API keys. */
@Component({
  selector: 'sz-practice-page',
  imports: [Status, CopyButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ i18n.t('practice.title') }}</h1>
    @if (!admin()) { <p class="notice">{{ i18n.t('practice.adminOnly') }}</p> }
    @if (message()) { <p role="status" class="notice ok">{{ message() }}</p> }
    @if (error()) { <p role="alert" class="notice error">{{ error() }}</p> }

    <section aria-labelledby="data-heading">
      <h2 id="data-heading">{{ i18n.t('practice.data') }}</h2>
      <sz-status [loading]="practice.loading()" [error]="practice.error()" (retry)="practice.reload()" />
      @if (practice.value(); as p) {
        <form class="card" (submit)="save($event)">
          @for (field of fields; track field) {
            <label>{{ i18n.t(labels[field]) }} <input [name]="field" [value]="p[field] ?? ''" [disabled]="!admin()" [required]="field !== 'bic'"></label>
          }
          @if (admin()) { <button type="submit" [disabled]="busy()">{{ i18n.t('app.save') }}</button> }
        </form>
      }
    </section>

    @if (practice.value()?.mediaServer) {
      <section aria-labelledby="calls-heading">
        <h2 id="calls-heading">{{ i18n.t('practice.calls') }}</h2>
        <label>
          <input type="checkbox" [checked]="practice.value()?.callsThroughMediaServer" [disabled]="!admin() || busy()" (change)="setCallsThroughServer($event)">
          {{ i18n.t('practice.callsThroughMediaServer') }}
        </label>
        <p class="muted">{{ i18n.t('practice.callsThroughMediaServerHelp') }}</p>
      </section>
    }

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
              @if (p.active) { <button type="button" class="danger" (click)="setActive(p, false)">{{ i18n.t('practice.deactivate', { name: fullName(p) }) }}</button> }
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
          <button type="submit" [disabled]="busy()">{{ i18n.t('practice.inviteSubmit') }}</button>
        </form>
      }
    </section>

    <section aria-labelledby="feed-heading">
      <h2 id="feed-heading">{{ i18n.t('practice.feed') }}</h2>
      <p class="muted">{{ i18n.t('practice.feedHint') }}</p>
      <sz-status [loading]="feed.loading()" [error]="feed.error()" (retry)="feed.reload()" />
      @if (feed.value(); as f) {
        <label>{{ i18n.t('practice.feedUrl') }} <input readonly [value]="f.url"></label>
        <sz-copy-button [text]="f.url" [label]="i18n.t('app.copy')" />
      }
    </section>

    @if (admin()) {
      <section aria-labelledby="sources-heading">
        <h2 id="sources-heading">{{ i18n.t('practice.sources') }}</h2>
        <sz-status [loading]="sources.loading()" [error]="sources.error()" (retry)="sources.reload()" />
        <ul class="list">
          @for (s of sources.value() ?? []; track s.id) {
            <li><span>{{ s.url }}</span> @if (s.lastSyncAt) { <span class="muted">{{ i18n.dateTime(s.lastSyncAt) }}</span> }
              <button type="button" class="link" (click)="removeSource(s)" [attr.aria-label]="i18n.t('app.delete') + ' ' + (s.url ?? '')">{{ i18n.t('app.delete') }}</button></li>
          } @empty { @if (sources.value()) { <li class="muted">{{ i18n.t('practice.none') }}</li> } }
        </ul>
        <form class="row" (submit)="addSource($event)">
          <label>{{ i18n.t('practice.sourceUrl') }} <input name="url" type="url" required></label>
          <button type="submit" [disabled]="busy()">{{ i18n.t('practice.addSource') }}</button>
        </form>
      </section>

      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading">{{ i18n.t('practice.apiKeys') }}</h2>
        <p class="muted">{{ i18n.t('practice.webhooksHint') }}</p>
        <sz-status [loading]="keys.loading()" [error]="keys.error()" (retry)="keys.reload()" />
        <ul class="list">
          @for (k of keys.value() ?? []; track k.id) {
            <li><span>{{ k.name }} <code>{{ k.prefix }}…</code></span>
              <button type="button" class="danger" (click)="revokeKey(k)">{{ i18n.t('practice.revoke', { name: k.name }) }}</button></li>
          } @empty { @if (keys.value()) { <li class="muted">{{ i18n.t('practice.none') }}</li> } }
        </ul>
        @if (newKey()) { <p role="status" class="notice ok">{{ i18n.t('practice.keyOnce') }} <code class="secret">{{ newKey() }}</code></p> }
        <form class="row" (submit)="createKey($event)">
          <label>{{ i18n.t('practice.keyName') }} <input name="name" required maxlength="100"></label>
          <button type="submit" [disabled]="busy()">{{ i18n.t('practice.createKey') }}</button>
        </form>
      </section>
    }
  `
})
export class PracticePage {
  protected readonly i18n = inject(I18n)
  protected readonly auth = inject(Auth)
  private readonly api = inject(Api)
  protected readonly admin = computed(() => this.auth.user()?.isPracticeAdmin ?? false)
  protected readonly fields = PRACTICE_FIELDS
  protected readonly labels: Record<Field, 'auth.practiceName' | 'auth.practiceType' | 'auth.street' | 'auth.postalCode' | 'auth.city' | 'auth.country' | 'auth.contactName' | 'auth.contactEmail' | 'auth.iban' | 'auth.bic' | 'auth.accountHolder' | 'auth.timeZone'> = {
    name: 'auth.practiceName', type: 'auth.practiceType', street: 'auth.street', postalCode: 'auth.postalCode', city: 'auth.city', country: 'auth.country',
    contactName: 'auth.contactName', contactEmail: 'auth.contactEmail', iban: 'auth.iban', bic: 'auth.bic', accountHolder: 'auth.accountHolder', timeZone: 'auth.timeZone'
  }
  // GET /api/me carries the practice too: enough to show it where GET /api/practice is not served.
  protected readonly practice = loadable(() => this.api.get<Practice>('/api/practice').catch((err: unknown) => {
    const known = this.auth.practice()
    if (err instanceof ApiError && err.status === 404 && known) return known
    throw err
  }))
  protected readonly providers = loadable(() => this.api.get<Provider[]>('/api/practice/providers'))
  protected readonly feed = loadable(() => this.api.get<{ url: string }>('/api/me/calendar-feed'))
  protected readonly sources = loadable(() => this.admin() ? this.api.get<Source[]>('/api/calendar-sources') : Promise.resolve([]))
  protected readonly keys = loadable(() => this.admin() ? this.api.get<ApiKey[]>('/api/practice/api-keys') : Promise.resolve([]))
  protected readonly busy = signal(false)
  protected readonly message = signal<string | null>(null)
  protected readonly error = signal<string | null>(null)
  protected readonly inviteError = signal<string | null>(null)
  protected readonly newKey = signal<string | null>(null)

  protected fullName (p: Provider): string {
    return [p.title, p.firstName, p.lastName].filter(Boolean).join(' ')
  }

  protected save (event: Event): Promise<void> {
    const values = formValues(event)
    if (values['iban'] && !isValidIban(values['iban'])) {
      this.error.set(this.i18n.t('auth.ibanInvalid'))
      return Promise.resolve()
    }
    return this.run(async () => {
      const saved = await this.api.patch<Practice>('/api/practice', { ...values, iban: values['iban']?.replace(/\s+/g, '').toUpperCase() })
      this.practice.value.set(saved)
      this.auth.practice.set(saved)
    }, this.i18n.t('app.saved'))
  }

  protected setCallsThroughServer (event: Event): Promise<void> {
    const callsThroughMediaServer = (event.target as HTMLInputElement).checked
    return this.run(async () => {
      this.practice.value.set(await this.api.patch<Practice>('/api/practice', { callsThroughMediaServer }))
    }, this.i18n.t('app.saved'))
  }

  protected async invite (event: Event): Promise<void> {
    const form = event.target as HTMLFormElement
    const values = formValues(event)
    this.inviteError.set(null)
    await this.run(async () => {
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
    if (this.inviteError()) this.error.set(null)
  }

  protected setActive (p: Provider, active: boolean): Promise<void> {
    return this.run(async () => {
      await this.api.post(`/api/practice/providers/${p.id}/${active ? 'activate' : 'deactivate'}`)
      await this.providers.reload()
    }, this.i18n.t('app.saved'))
  }

  protected addSource (event: Event): Promise<void> {
    const form = event.target as HTMLFormElement
    const { url = '' } = formValues(event)
    return this.run(async () => {
      await this.api.post('/api/calendar-sources', { url })
      form.reset()
      await this.sources.reload()
    }, this.i18n.t('app.saved'))
  }

  protected removeSource (s: Source): Promise<void> {
    return this.run(async () => {
      await this.api.delete(`/api/calendar-sources/${s.id}`)
      await this.sources.reload()
    }, this.i18n.t('app.saved'))
  }

  protected createKey (event: Event): Promise<void> {
    const form = event.target as HTMLFormElement
    const { name = '' } = formValues(event)
    return this.run(async () => {
      const created = await this.api.post<{ key: string }>('/api/practice/api-keys', { name, scopes: ['appointments:read', 'appointments:write', 'webhooks'] })
      this.newKey.set(created.key)
      form.reset()
      await this.keys.reload()
    }, null)
  }

  protected revokeKey (k: ApiKey): Promise<void> {
    return this.run(async () => {
      await this.api.delete(`/api/practice/api-keys/${k.id}`)
      await this.keys.reload()
    }, this.i18n.t('app.saved'))
  }

  private async run (call: () => Promise<unknown>, success: string | null): Promise<void> {
    this.busy.set(true)
    this.error.set(null)
    this.message.set(null)
    try {
      await call()
      this.message.set(success)
    } catch (err) {
      this.error.set(this.i18n.error(err))
    } finally {
      this.busy.set(false)
    }
  }
}
