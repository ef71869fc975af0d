// A stand-in for the React DevTools global hook: React hands it every committed root, and
// the page's `onCommit` listener walks the fibers to count which message rows rendered.
(function () {
  var listeners = [];
  window.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    supportsFiber: true,
    renderers: new Map(),
    inject: function (renderer) { var id = this.renderers.size + 1; this.renderers.set(id, renderer); return id; },
    checkDCE: function () {},
    onScheduleFiberRoot: function () {},
    onCommitFiberRoot: function (_id, root) { for (var i = 0; i < listeners.length; i++) listeners[i](root); },
    onCommitFiberUnmount: function () {},
    onPostCommitFiberRoot: function () {},
    setStrictMode: function () {},
    benchListen: function (fn) { listeners.push(fn); },
  };
})();
