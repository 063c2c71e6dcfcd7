import { useMutation } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { logoutMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { roleLabel } from '../../lib/format.js';
import { forgetSession, useMe } from '../../lib/session.js';

export function UserMenu() {
  const me = useMe();
  const navigate = useNavigate();
  const signOut = useMutation({
    ...logoutMutation(),
    // Even if the server call fails (session already gone), the client forgets the session.
    // Forget first, so the /login loader does not find the old session in the cache.
    onSettled: async () => {
      forgetSession();
      await navigate('/login', { replace: true });
    },
  });
  return (
    <div className="user-menu">
      <div className="user-identity">
        {/* Named: the name, then the email beside the role; otherwise the email, then the role. */}
        <span className="user-name" data-testid="user-name">
          {me.user.name || me.user.email}
        </span>
        <span className="user-role">{[me.user.name ? me.user.email : null, me.workspace ? roleLabel(me.workspace.role) : null].filter(Boolean).join(' · ')}</span>
      </div>
      <button type="button" className="btn btn-secondary btn-small" data-testid="signout" disabled={signOut.isPending} onClick={() => signOut.mutate({})}>
        Sign out
      </button>
    </div>
  );
}
