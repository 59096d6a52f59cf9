using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LightNet.Tests.TestSupport;

/// <summary>An ILogger that keeps every message, for asserting on what was logged.</summary>
public sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _messages = new();

    public IReadOnlyList<(LogLevel Level, string Text)> Messages => _messages.ToArray();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _messages.Enqueue((logLevel, formatter(state, exception)));
}
