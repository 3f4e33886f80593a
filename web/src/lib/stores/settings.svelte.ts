import { formFromSettings, settingsFromForm, type SettingsForm } from '../chat/settings-form.ts';
import type { ConversationSettings } from '../types/api.ts';

const storageKey = 'anychat.lastSettings';

function readLastUsed(): ConversationSettings {
  try {
    return JSON.parse(localStorage.getItem(storageKey) ?? '{}') as ConversationSettings;
  } catch {
    return {};
  }
}

/**
 * The Advanced options form. It shows the open conversation's saved settings; a new chat starts
 * from the settings last sent, so a system message does not have to be typed again.
 */
class SettingsStore {
  form = $state<SettingsForm>(formFromSettings(readLastUsed()));

  show(settings: ConversationSettings | null): void {
    this.form = formFromSettings(settings ?? readLastUsed());
  }

  /** The settings to send with a request; remembered for the next new chat. */
  forRequest(): ConversationSettings {
    const settings = settingsFromForm($state.snapshot(this.form));
    localStorage.setItem(storageKey, JSON.stringify(settings));
    return settings;
  }
}

export const settings = new SettingsStore();
