import { ChangeDetectionStrategy, Component, inject } from '@angular/core'
import { RouterLink } from '@angular/router'
import { I18n } from './core/i18n/i18n.service'

@Component({
  selector: 'sz-not-found',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ i18n.t('notFound.title') }}</h1>
    <p>{{ i18n.t('notFound.text') }}</p>
    <p><a routerLink="/">{{ i18n.t('notFound.home') }}</a></p>
  `
})
export class NotFound {
  protected readonly i18n = inject(I18n)
}
