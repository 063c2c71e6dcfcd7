import { PageHeader } from '../../lib/ui.js';

export function NotFoundPage() {
  return <PageHeader title="Page not found" description="There is nothing at this address." />;
}
