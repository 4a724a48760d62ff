import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core'
import { Api } from '../../../core/api/api.service'
import { Auth } from '../../../core/auth/auth.service'
import { I18n } from '../../../core/i18n/i18n.service'
import type { Action } from '../../../shared/action'
import { CopyButton } from '../../../shared/copy-button'
import { formValues } from '../../../shared/form'
import { loadable } from '../../../shared/loadable'
import { Status } from '../../../shared/status'

interface Source {
  id: string
  url: string | null
  lastSyncAt: string | null
  lastError: string | null
}

/** iCal both ways: the provider's own feed to subscribe to and, for admins, the calendars the practice imports. */
@Component({
  selector: 'sz-calendar-sources',
  imports: [Status, CopyButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
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
              <button type="button" class="link" (click)="removeSource(s)"
                [attr.aria-label]="i18n.t('app.delete') + ' ' + (s.url ?? '')">{{ i18n.t('app.delete') }}</button></li>
          } @empty { @if (sources.value()) { <li class="muted">{{ i18n.t('practice.none') }}</li> } }
        </ul>
        <form class="row" (submit)="addSource($event)">
          <label>{{ i18n.t('practice.sourceUrl') }} <input name="url" type="url" required></label>
          <button type="submit" [disabled]="action().busy()">{{ i18n.t('practice.addSource') }}</button>
        </form>
      </section>
    }
  `
})
export class CalendarSources {
  protected readonly i18n = inject(I18n)
  private readonly auth = inject(Auth)
  private readonly api = inject(Api)
  /** The page's: its busy state disables every form, its message and error show at the top. */
  readonly action = input.required<Action>()
  protected readonly admin = computed(() => this.auth.user()?.isPracticeAdmin ?? false)
  protected readonly feed = loadable(() => this.api.get<{ url: string }>('/api/me/calendar-feed'))
  protected readonly sources = loadable(() => (this.admin() ? this.api.get<Source[]>('/api/calendar-sources') : Promise.resolve([])))

  protected addSource(event: Event): Promise<unknown> {
    const form = event.target as HTMLFormElement
    const { url = '' } = formValues(event)
    return this.action().run(async () => {
      await this.api.post('/api/calendar-sources', { url })
      form.reset()
      await this.sources.reload()
    }, this.i18n.t('app.saved'))
  }

  protected removeSource(s: Source): Promise<unknown> {
    return this.action().run(async () => {
      await this.api.delete(`/api/calendar-sources/${s.id}`)
      await this.sources.reload()
    }, this.i18n.t('app.saved'))
  }
}
