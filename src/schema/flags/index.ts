// The feature-flags area: the FeatureFlag type and its queries (operators write flags: operators/).
import './feature-flag.ts';
