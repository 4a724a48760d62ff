import type { Routes } from '@angular/router'

export const consultationRoutes: Routes = [
  { path: ':id', loadComponent: () => import('./pages/consultation.page').then(m => m.ConsultationPage) },
  { path: ':id/call', loadComponent: () => import('./pages/provider-call.page').then(m => m.ProviderCallPage) }
]
