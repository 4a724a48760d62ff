import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core'
import { I18n } from '../core/i18n/i18n.service'

@Component({
  selector: 'sz-copy-button',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button type="button" (click)="copy()">{{ label() }}</button>
    <span role="status" class="muted">{{ copied() ? i18n.t('app.copied') : '' }}</span>
  `
})
export class CopyButton {
  protected readonly i18n = inject(I18n)
  readonly text = input.required<string>()
  readonly label = input.required<string>()
  protected readonly copied = signal(false)

  protected async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.text())
      this.copied.set(true)
      setTimeout(() => this.copied.set(false), 3000)
    } catch {
      this.copied.set(false)
    }
  }
}
