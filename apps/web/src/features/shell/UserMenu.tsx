import { useMutation } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { logoutMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { roleLabel } from '../../lib/format.js';
import { forgetSession, markSignedOut, useMe } from '../../lib/session.js';

export function UserMenu() {
  const me = useMe();
  const navigate = useNavigate();
  const signOut = useMutation({
    ...logoutMutation(),
    // Even if the server call fails (session already gone), the client forgets the session: marked signed out first
    // (the /login loader then skips the cached session), the cache cleared once the signed-in pages are gone.
    onSettled: async () => {
      markSignedOut();
      await navigate('/login', { replace: true });
      forgetSession();
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
