package client

import (
	"fmt"
	"net/netip"
)

func (c *Client) openUnbound() error {
	if c.conn != nil && !c.connAddr.IsValid() {
		return nil
	}
	c.closeConn()
	conn, err := c.tr.OpenUnbound(c.hw)
	if err != nil {
		return fmt.Errorf("client: opening connection: %w", err)
	}
	c.startReader(conn, netip.Addr{})
	return nil
}

func (c *Client) openBound(addr netip.Addr) error {
	if c.conn != nil && c.connAddr == addr {
		return nil
	}
	c.closeConn()
	conn, err := c.tr.OpenBound(addr, c.hw)
	if err != nil {
		return fmt.Errorf("client: opening connection for %v: %w", addr, err)
	}
	c.startReader(conn, addr)
	return nil
}

func (c *Client) closeConn() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
		c.connAddr = netip.Addr{}
		c.connGen++
	}
}

func (c *Client) startReader(conn Conn, addr netip.Addr) {
	c.conn = conn
	c.connAddr = addr
	c.connGen++
	gen := c.connGen
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			buf := make([]byte, 2048)
			n, err := conn.Receive(buf)
			it := rxItem{gen: gen, b: buf[:n], err: err}
			select {
			case c.rx <- it:
			case <-c.stopping:
				return
			}
			if err != nil {
				return
			}
		}
	}()
}
