import { openFreshPgliteStore } from '../storage/fresh-pglite.ts';
import { describeAccountStore } from './account-store.case.ts';

describeAccountStore('PGlite', { open: openFreshPgliteStore });
