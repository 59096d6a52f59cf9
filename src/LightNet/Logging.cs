using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LightNet;

/// <summary>
/// Where LightNet's loggers come from: the <see cref="ILoggerFactory"/> an options object carries
/// (<see cref="Backends.InferenceOptions.LoggerFactory"/>, <see cref="Profiling.ProfileOptions.LoggerFactory"/>, ...),
/// or none. Categories are the names of the classes that log.
/// </summary>
internal static class Logging
{
    /// <summary>The logger of <paramref name="category"/> from <paramref name="factory"/>; a logger that drops everything when null.</summary>
    public static ILogger For(ILoggerFactory? factory, string category) => factory?.CreateLogger(category) ?? NullLogger.Instance;
}
