import { Directive, ElementRef, effect, inject, input } from '@angular/core'

/** Shows a MediaStream in a <video>: Angular has no binding for `srcObject`. */
@Directive({ selector: 'video[szSrcObject]' })
export class SrcObject {
  readonly szSrcObject = input<MediaStream | null>(null)

  constructor() {
    const video = (inject(ElementRef) as ElementRef<HTMLVideoElement>).nativeElement
    effect(() => {
      const stream = this.szSrcObject()
      if (video.srcObject !== stream) video.srcObject = stream
    })
  }
}
