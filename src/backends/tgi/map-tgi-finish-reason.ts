import type { FinishReason } from '../backend.ts';
import type { TgiFinishReason } from './tgi-api.ts';

export function mapTgiFinishReason(reason: TgiFinishReason): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'eos_token':
      return 'eos';
    case 'stop_sequence':
      return 'stop';
  }
}
