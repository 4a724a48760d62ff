import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core'
import { Api } from '../../../core/api/api.service'
import { I18n } from '../../../core/i18n/i18n.service'
import type { Action } from '../../../shared/action'
import { formValues } from '../../../shared/form'
import { loadable } from '../../../shared/loadable'
import { Status } from '../../../shared/status'

interface ApiKey {
  id: string
  name: string
  prefix: string
}

/** The practice's API keys (for admins only): made here, the key shown once, revoked here. */
@Component({
  selector: 'sz-api-keys',
  imports: [Status],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
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
        <button type="submit" [disabled]="action().busy()">{{ i18n.t('practice.createKey') }}</button>
      </form>
    </section>
  `
})
export class ApiKeys {
  protected readonly i18n = inject(I18n)
  private readonly api = inject(Api)
  /** The page's: its busy state disables every form, its message and error show at the top. */
  readonly action = input.required<Action>()
  protected readonly keys = loadable(() => this.api.get<ApiKey[]>('/api/practice/api-keys'))
  protected readonly newKey = signal<string | null>(null)

  protected createKey(event: Event): Promise<unknown> {
    const form = event.target as HTMLFormElement
    const { name = '' } = formValues(event)
    return this.action().run(async () => {
      const created = await this.api.post<{ key: string }>('/api/practice/api-keys', { name, scopes: ['appointments:read', 'appointments:write', 'webhooks'] })
      this.newKey.set(created.key)
      form.reset()
      await this.keys.reload()
    }, null)
  }

  protected revokeKey(k: ApiKey): Promise<unknown> {
    return this.action().run(async () => {
      await this.api.delete(`/api/practice/api-keys/${k.id}`)
      await this.keys.reload()
    }, this.i18n.t('app.saved'))
  }
}
