import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { getMeQueryKey } from './api/generated/@tanstack/react-query.gen.js';
import { configureApiClient, setForbiddenHandler, setUnauthenticatedHandler } from './lib/api-client.js';
import { queryClient } from './lib/query-client.js';
import { createAppRouter, redirectToLogin } from './routes/router.js';
import './styles.css';

configureApiClient();
const router = createAppRouter();
setUnauthenticatedHandler(() => redirectToLogin(router));
// A 403 means the role changed under this session: read it again, so the controls it no longer allows disappear.
setForbiddenHandler(() => void queryClient.invalidateQueries({ queryKey: getMeQueryKey() }));

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
