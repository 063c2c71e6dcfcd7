import { useMe, useCan } from '../../lib/session.js';
import { PageHeader } from '../../lib/ui.js';
import { AlertWebhookForm } from './AlertWebhookForm.js';
import { ChangePasswordForm } from './ChangePasswordForm.js';
import { CreateWorkspaceForm } from './CreateWorkspaceForm.js';
import { ProfileForm } from './ProfileForm.js';
import { RenameWorkspaceForm } from './RenameWorkspaceForm.js';
import { WorkspaceDefaultsForm } from './WorkspaceDefaultsForm.js';

export function SettingsPage() {
  const me = useMe();
  const canManage = useCan('workspace:manage');
  const canManageBudgets = useCan('budgets:manage');
  return (
    <>
      <PageHeader title="Settings" description="This workspace, new workspaces, and your own account." />
      {me.workspace && canManage ? <RenameWorkspaceForm key={me.workspace.id} currentName={me.workspace.name} /> : null}
      {me.workspace && canManage ? <WorkspaceDefaultsForm key={`defaults-${me.workspace.id}`} /> : null}
      {me.workspace && canManageBudgets ? <AlertWebhookForm key={`webhook-${me.workspace.id}`} /> : null}
      <CreateWorkspaceForm />
      <ProfileForm key={me.user.id} currentName={me.user.name} />
      <ChangePasswordForm email={me.user.email} />
    </>
  );
}
