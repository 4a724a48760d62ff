// janode has no types of its own: the media-janus plugin's declarations serve its tests too.
/// <reference path="../../plugins/media-janus/src/janode.d.ts" />
