import type { Routes } from '@angular/router'
import { loggedOutGuard } from '../../core/auth/guards'

export const authRoutes: Routes = [
  { path: 'login', canMatch: [loggedOutGuard], loadComponent: () => import('./pages/login.page').then(m => m.LoginPage) },
  { path: 'register', canMatch: [loggedOutGuard], loadComponent: () => import('./pages/register.page').then(m => m.RegisterPage) },
  // Opened from mails, signed in or not: each page finds out for itself.
  { path: 'verify-email', loadComponent: () => import('./pages/verify-email.page').then(m => m.VerifyEmailPage) },
  { path: 'undo-email-change', loadComponent: () => import('./pages/undo-email-change.page').then(m => m.UndoEmailChangePage) },
  { path: 'password-reset', loadComponent: () => import('./pages/password-reset.page').then(m => m.PasswordResetPage) }
]
