import type { Routes } from '@angular/router'
import { loggedOutGuard } from '../../core/auth/guards'

export const authRoutes: Routes = [
  { path: 'login', canMatch: [loggedOutGuard], loadComponent: () => import('./pages/login.page').then(m => m.LoginPage) },
  { path: 'register', canMatch: [loggedOutGuard], loadComponent: () => import('./pages/register.page').then(m => m.RegisterPage) },
  { path: 'password-reset', loadComponent: () => import('./pages/password-reset.page').then(m => m.PasswordResetPage) }
]
