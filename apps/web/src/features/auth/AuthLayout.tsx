import type { ReactNode } from 'react';

export function AuthLayout({ title, subtitle, children }: { title: string; subtitle?: ReactNode; children: ReactNode }) {
  return (
    <div className="center-page">
      <main className="card auth-card">
        <div className="brand brand-auth">
          <span className="brand-mark" aria-hidden="true">
            V
          </span>
          <span className="brand-name">Vaultrun</span>
        </div>
        <h1>{title}</h1>
        {subtitle ? <p className="auth-subtitle">{subtitle}</p> : null}
        {children}
      </main>
    </div>
  );
}
