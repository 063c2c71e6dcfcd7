import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { describeError } from '../../lib/problem.js';

export function RouteErrorPage() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : describeError(error);
  return (
    <div className="center-page">
      <div className="card auth-card">
        <h1>Something went wrong</h1>
        <p className="alert alert-error" role="alert">
          {message}
        </p>
        <p>
          <Link to="/">Back to the console</Link>
        </p>
      </div>
    </div>
  );
}
