import { ChangeDetectionStrategy, Component, type ElementRef, computed, inject, signal, viewChild } from '@angular/core'
import { NavigationEnd, Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router'
import { Auth } from './core/auth/auth.service'
import { I18n } from './core/i18n/i18n.service'
import { LanguageSwitch } from './shared/language-switch'
import { ResendVerification } from './shared/resend-verification'

@Component({
  selector: 'sz-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, LanguageSwitch, ResendVerification],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <a class="skip" href="#main" (click)="skip($event)">{{ i18n.t('app.skip') }}</a>
    <header class="bar">
      <span class="brand">{{ i18n.t('app.name') }}</span>
      @if (auth.loggedIn() && !isJoin()) {
        <nav [attr.aria-label]="i18n.t('nav.main')">
          <a routerLink="/today" routerLinkActive="active" ariaCurrentWhenActive="page">{{ i18n.t('nav.today') }}</a>
          <a routerLink="/calendar" routerLinkActive="active" ariaCurrentWhenActive="page">{{ i18n.t('nav.calendar') }}</a>
          <a routerLink="/tasks" routerLinkActive="active" ariaCurrentWhenActive="page">{{ i18n.t('nav.tasks') }}</a>
          <a routerLink="/profile" routerLinkActive="active" ariaCurrentWhenActive="page">{{ i18n.t('nav.profile') }}</a>
          <a routerLink="/practice" routerLinkActive="active" ariaCurrentWhenActive="page">{{ i18n.t('nav.practice') }}</a>
          <a routerLink="/help" routerLinkActive="active" ariaCurrentWhenActive="page">{{ i18n.t('nav.help') }}</a>
          <button type="button" class="link" (click)="logout()">{{ i18n.t('nav.logout') }}</button>
        </nav>
      }
      <sz-language-switch />
    </header>
    @if (unverified()) {
      <section class="verify-banner" [attr.aria-label]="i18n.t('verify.bannerLabel')">
        <p role="status">{{ i18n.t('verify.banner') }}</p>
        <sz-resend-verification />
      </section>
    }
    @if (standing(); as standing) {
      <section class="verify-banner" [attr.aria-label]="i18n.t('nav.practice')">
        <p role="status">{{ i18n.t(standing === 'suspended' ? 'practice.suspended' : 'practice.awaitingApproval') }}</p>
      </section>
    }
    <main id="main" tabindex="-1" #main><router-outlet /></main>
  `
})
export class App {
  protected readonly auth = inject(Auth)
  /** A practice the operator has not approved, or suspended: its pages answer 403, so say why once, here. */
  protected readonly standing = computed(() => {
    const standing = this.auth.practice()?.standing
    return standing && standing !== 'active' && !this.isJoin() ? standing : null
  })
  protected readonly i18n = inject(I18n)
  private readonly router = inject(Router)
  private readonly main = viewChild.required<ElementRef<HTMLElement>>('main')
  private readonly path = signal(location.pathname)
  protected readonly isJoin = computed(() => this.path().startsWith('/join/'))
  /**
   * The signed-in provider has not opened the link mailed to their address: their invitations wait.
   * Not on the join pages (a client may share the device), nor on /check-inbox, which says it already.
   */
  protected readonly unverified = computed(() => this.auth.user()?.emailVerified === false && !this.isJoin() && !this.path().startsWith('/check-inbox'))

  constructor() {
    this.router.events.subscribe(event => {
      if (event instanceof NavigationEnd) this.path.set(event.urlAfterRedirects)
    })
  }

  protected skip(event: Event): void {
    event.preventDefault()
    this.main().nativeElement.focus()
  }

  protected async logout(): Promise<void> {
    await this.auth.logout().catch(() => undefined)
    await this.router.navigateByUrl('/login')
  }
}
