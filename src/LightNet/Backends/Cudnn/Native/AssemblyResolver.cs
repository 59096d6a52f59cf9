using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;

namespace LightNet.Backends.Cudnn.Native;

/// <summary>
/// The one <see cref="NativeLibrary.SetDllImportResolver"/> of the LightNet assembly (the runtime allows one per
/// assembly). Native bindings register the logical library names they import from; every other name falls through to
/// the runtime's default probing. Installed on the first registration, so that nothing is hooked until a binding is used.
/// </summary>
internal static class AssemblyResolver
{
    private static readonly ConcurrentDictionary<string, Func<nint>> s_handlers = new(StringComparer.Ordinal);
    private static int s_installed;

    /// <summary>Maps <paramref name="logicalName"/> (the name in [LibraryImport]) to a handle provider (0 = not loaded).</summary>
    public static void Register(string logicalName, Func<nint> handle)
    {
        s_handlers[logicalName] = handle;
        if (Interlocked.Exchange(ref s_installed, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(AssemblyResolver).Assembly, Resolve);
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        s_handlers.TryGetValue(libraryName, out Func<nint>? handle) ? handle() : 0;
}
