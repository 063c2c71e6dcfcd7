import { Initial1795418779050 } from './1795418779050-Initial.js';
import { ProviderVault1795420577853 } from './1795420577853-ProviderVault.js';
import { RunsEngine1795421458547 } from './1795421458547-RunsEngine.js';
import { Money1795425439100 } from './1795425439100-Money.js';
import { SpendIndex1795425991218 } from './1795425991218-SpendIndex.js';
import { Missions1795436048843 } from './1795436048843-Missions.js';
import { IdempotentComparisonsAndMessages1795439814301 } from './1795439814301-IdempotentComparisonsAndMessages.js';
import { CostSyncAttempts1796433359159 } from './1796433359159-CostSyncAttempts.js';
import { EndpointBinding1797100000000 } from './1797100000000-EndpointBinding.js';
import { BudgetOverage1797300000000 } from './1797300000000-BudgetOverage.js';
import { Gateway1797700000000 } from './1797700000000-Gateway.js';
import { ConsoleAnalytics1797800000000 } from './1797800000000-ConsoleAnalytics.js';
import { ProviderKinds1798000000000 } from './1798000000000-ProviderKinds.js';
import { InstanceAdmin1798100000000 } from './1798100000000-InstanceAdmin.js';
import { ManagedCredits1798200000000 } from './1798200000000-ManagedCredits.js';

/** Every migration, in order. New ones are appended here after `migration:generate`. */
export const MIGRATIONS = [Initial1795418779050, ProviderVault1795420577853, RunsEngine1795421458547, Money1795425439100, SpendIndex1795425991218, Missions1795436048843, IdempotentComparisonsAndMessages1795439814301, CostSyncAttempts1796433359159, EndpointBinding1797100000000, BudgetOverage1797300000000, Gateway1797700000000, ConsoleAnalytics1797800000000, ProviderKinds1798000000000, InstanceAdmin1798100000000, ManagedCredits1798200000000];
