import type { Routes } from '@angular/router'
import { loggedInGuard } from './core/auth/guards'
import { NotFound } from './not-found'

export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'today' },
  { path: 'join', loadChildren: () => import('./features/join/join.routes').then(m => m.joinRoutes) },
  { path: '', loadChildren: () => import('./features/auth/auth.routes').then(m => m.authRoutes) },
  { path: '', canMatch: [loggedInGuard], loadChildren: () => import('./features/provider.routes').then(m => m.providerRoutes) },
  { path: '**', component: NotFound }
]
