import type { Routes } from '@angular/router'

export const joinRoutes: Routes = [{ path: ':token', loadComponent: () => import('./pages/join.page').then(m => m.JoinPage) }]
