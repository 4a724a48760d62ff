import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import { action } from '../../../shared/action'
import { ApiKeys } from '../components/api-keys'
import { CalendarSources } from '../components/calendar-sources'
import { PracticeData } from '../components/practice-data'
import { PracticeStaff } from '../components/practice-staff'

/** Practice data, its providers, the calendar feed and sources, and API keys: one action line at the top for all. */
@Component({
  selector: 'sz-practice-page',
  imports: [PracticeData, PracticeStaff, CalendarSources, ApiKeys],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ i18n.t('practice.title') }}</h1>
    @if (!admin()) { <p class="notice">{{ i18n.t('practice.adminOnly') }}</p> }
    @if (action.message()) { <p role="status" class="notice ok">{{ action.message() }}</p> }
    @if (action.error()) { <p role="alert" class="notice error">{{ action.error() }}</p> }

    <sz-practice-data [action]="action" />
    <sz-practice-staff [action]="action" />
    <sz-calendar-sources [action]="action" />
    @if (admin()) { <sz-api-keys [action]="action" /> }
  `
})
export class PracticePage {
  protected readonly i18n = inject(I18n)
  private readonly auth = inject(Auth)
  protected readonly admin = computed(() => this.auth.user()?.isPracticeAdmin ?? false)
  /** Shared by the sections: one busy state, one message and one error, shown above them all. */
  protected readonly action = action()
}
