import { ChangeDetectionStrategy, Component, inject } from '@angular/core'
import { I18n, type Locale } from '../core/i18n/i18n.service'

@Component({
  selector: 'sz-language-switch',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <label class="language">
      <span>{{ i18n.t('app.language') }}</span>
      <select [value]="i18n.locale()" (change)="choose($event)">
        <option value="de" lang="de">Deutsch</option>
        <option value="en" lang="en">English</option>
      </select>
    </label>
  `
})
export class LanguageSwitch {
  protected readonly i18n = inject(I18n)

  protected choose(event: Event): void {
    this.i18n.use((event.target as HTMLSelectElement).value as Locale)
  }
}
