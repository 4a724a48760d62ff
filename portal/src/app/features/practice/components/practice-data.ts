import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core'
import { Api, ApiError } from '../../../core/api/api.service'
import type { Practice } from '../../../core/api/models'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import type { Action } from '../../../shared/action'
import { isValidIban, normalizeIban } from '@sprechzimmer/core/iban'
import { formValues } from '../../../shared/form'
import { loadable } from '../../../shared/loadable'
import { Status } from '../../../shared/status'

const PRACTICE_FIELDS = [
  'name',
  'type',
  'street',
  'postalCode',
  'city',
  'country',
  'contactName',
  'contactEmail',
  'iban',
  'bic',
  'accountHolder',
  'timeZone'
] as const
type Field = (typeof PRACTICE_FIELDS)[number]

/** The practice's data (address, contact, bank, time zone) and, with a media server, how calls are routed. */
@Component({
  selector: 'sz-practice-data',
  imports: [Status],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section aria-labelledby="data-heading">
      <h2 id="data-heading">{{ i18n.t('practice.data') }}</h2>
      <sz-status [loading]="practice.loading()" [error]="practice.error()" (retry)="practice.reload()" />
      @if (practice.value(); as p) {
        <form class="card" (submit)="save($event)">
          @for (field of fields; track field) {
            <label>{{ i18n.t(labels[field]) }} <input [name]="field" [value]="p[field] ?? ''" [disabled]="!admin()" [required]="field !== 'bic'"></label>
          }
          @if (admin()) { <button type="submit" [disabled]="action().busy()">{{ i18n.t('app.save') }}</button> }
        </form>
      }
    </section>

    @if (practice.value()?.mediaServer) {
      <section aria-labelledby="calls-heading">
        <h2 id="calls-heading">{{ i18n.t('practice.calls') }}</h2>
        <label>
          <input type="checkbox" [checked]="practice.value()?.callsThroughMediaServer" [disabled]="!admin() || action().busy()"
            (change)="setCallsThroughServer($event)">
          {{ i18n.t('practice.callsThroughMediaServer') }}
        </label>
        <p class="muted">{{ i18n.t('practice.callsThroughMediaServerHelp') }}</p>
      </section>
    }
  `
})
export class PracticeData {
  protected readonly i18n = inject(I18n)
  private readonly auth = inject(Auth)
  private readonly api = inject(Api)
  /** The page's: its busy state disables every form, its message and error show at the top. */
  readonly action = input.required<Action>()
  protected readonly admin = computed(() => this.auth.user()?.isPracticeAdmin ?? false)
  protected readonly fields = PRACTICE_FIELDS
  protected readonly labels: Record<
    Field,
    | 'auth.practiceName'
    | 'auth.practiceType'
    | 'auth.street'
    | 'auth.postalCode'
    | 'auth.city'
    | 'auth.country'
    | 'auth.contactName'
    | 'auth.contactEmail'
    | 'auth.iban'
    | 'auth.bic'
    | 'auth.accountHolder'
    | 'auth.timeZone'
  > = {
    name: 'auth.practiceName',
    type: 'auth.practiceType',
    street: 'auth.street',
    postalCode: 'auth.postalCode',
    city: 'auth.city',
    country: 'auth.country',
    contactName: 'auth.contactName',
    contactEmail: 'auth.contactEmail',
    iban: 'auth.iban',
    bic: 'auth.bic',
    accountHolder: 'auth.accountHolder',
    timeZone: 'auth.timeZone'
  }
  // GET /api/me carries the practice too: enough to show it where GET /api/practice is not served.
  protected readonly practice = loadable(() =>
    this.api.get<Practice>('/api/practice').catch((err: unknown) => {
      const known = this.auth.practice()
      if (err instanceof ApiError && err.status === 404 && known) return known
      throw err
    })
  )

  protected save(event: Event): Promise<unknown> {
    const values = formValues(event)
    if (values['iban'] && !isValidIban(values['iban'])) {
      this.action().error.set(this.i18n.t('auth.ibanInvalid'))
      return Promise.resolve()
    }
    return this.action().run(async () => {
      const saved = await this.api.patch<Practice>('/api/practice', {
        ...values,
        iban: values['iban'] === undefined ? undefined : normalizeIban(values['iban'])
      })
      this.practice.value.set(saved)
      this.auth.practice.set(saved)
    }, this.i18n.t('app.saved'))
  }

  protected setCallsThroughServer(event: Event): Promise<unknown> {
    const callsThroughMediaServer = (event.target as HTMLInputElement).checked
    return this.action().run(async () => {
      this.practice.value.set(await this.api.patch<Practice>('/api/practice', { callsThroughMediaServer }))
    }, this.i18n.t('app.saved'))
  }
}
