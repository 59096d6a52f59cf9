using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LightNet.Tests.TestSupport;

/// <summary>
/// An ILogger that keeps every message, for asserting on what was logged; also the ILoggerFactory of the options that take one
/// (every category logs here, and the categories asked for are kept).
/// </summary>
public sealed class ListLogger : ILogger, ILoggerFactory
{
    private readonly ConcurrentQueue<string> _categories = new();

    public IReadOnlyList<string> Categories => _categories.ToArray();

    public ILogger CreateLogger(string categoryName)
    {
        _categories.Enqueue(categoryName);
        return this;
    }

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _messages = new();

    public IReadOnlyList<(LogLevel Level, string Text)> Messages => _messages.ToArray();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _messages.Enqueue((logLevel, formatter(state, exception)));
}
