import { QueryClient } from '@tanstack/react-query';
import { ApiProblem } from './problem.js';

declare module '@tanstack/react-query' {
  interface Register {
    defaultError: ApiProblem;
  }
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // A 4xx will not change on retry; network errors and 5xx get two more tries.
      retry: (failureCount, error) => failureCount < 2 && (!(error instanceof ApiProblem) || error.status === 0 || error.status >= 500),
    },
    mutations: { retry: false },
  },
});
