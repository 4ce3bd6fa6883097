// Public API of @fieldsync/react.
export { useQuery } from './useQuery.js';
