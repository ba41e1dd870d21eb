package org.cohort.protocol.wire;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import org.junit.jupiter.api.Test;

class HeartbeatHandlerTest {

  @Test
  void silentPeerIsDropped() {
    EmbeddedChannel channel = new EmbeddedChannel(new HeartbeatHandler(() -> "fed"));
    channel.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
    assertFalse(channel.isActive());
  }

  @Test
  void peerIsNotDroppedWhileThisSideHasPausedReading() {
    EmbeddedChannel channel = new EmbeddedChannel(new HeartbeatHandler(() -> "fed"));
    channel.config().setAutoRead(false);
    channel.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
    assertTrue(channel.isActive());
    channel.config().setAutoRead(true);
    channel.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
    assertFalse(channel.isActive());
  }
}
